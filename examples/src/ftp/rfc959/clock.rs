//! Dates as FTP writes them, in UTC: `20261205224400` (MDTM, MLSD) and
//! `Dec 05 22:44` or `Dec 05  2025` (LIST, like `ls -l`).
//!
//! The conversion from days to a calendar date is Howard Hinnant's
//! `civil_from_days`: a few lines, so no date crate is needed.

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment in UTC, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    unix: i64,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Utc {
    /// `time` in UTC (times before 1970 work too).
    pub fn from(time: SystemTime) -> Utc {
        let unix = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => after.as_secs() as i64,
            Err(before) => -(before.duration().as_secs() as i64),
        };
        let days = unix.div_euclid(86_400);
        let secs = unix.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Utc {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            unix,
        }
    }

    /// `YYYYMMDDHHMMSS` (RFC 3659 `time-val`).
    pub fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `ls -l`'s date: `Mon DD HH:MM` within six months of `now`, else
    /// `Mon DD  YYYY`.
    pub fn ls_style(&self, now: SystemTime) -> String {
        let now = Utc::from(now).unix;
        let month = MONTHS[self.month as usize - 1];
        if (now - self.unix).abs() < 182 * 86_400 {
            format!(
                "{month} {:02} {:02}:{:02}",
                self.day, self.hour, self.minute
            )
        } else {
            format!("{month} {:02}  {:04}", self.day, self.year)
        }
    }
}

/// Year, month (1-12), day (1-31) of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn known_dates() {
        let at = |secs| Utc::from(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0).compact(), "19700101000000");
        // 2000-02-29 12:34:56, a leap day.
        assert_eq!(at(951_827_696).compact(), "20000229123456");
        // 2026-12-05 22:44:00
        let t = at(1_796_510_640);
        assert_eq!(t.compact(), "20261205224400");
        let soon = UNIX_EPOCH + Duration::from_secs(1_796_510_640 + 86_400);
        assert_eq!(t.ls_style(soon), "Dec 05 22:44");
        let later = UNIX_EPOCH + Duration::from_secs(1_796_510_640 + 400 * 86_400);
        assert_eq!(t.ls_style(later), "Dec 05  2026");
    }
}
