//! Dates as FTP writes them, in UTC: `20261205224400` (MDTM, MLSD) and
//! `Dec 05 22:44` or `Dec 05  2025` (LIST, like `ls -l`); and read back
//! (MFMT).
//!
//! The conversions between days and calendar dates are Howard Hinnant's
//! `civil_from_days` and `days_from_civil`: a few lines each, so no date
//! crate is needed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

    /// The moment a `YYYYMMDDHHMMSS` in UTC stands for (RFC 3659
    /// `time-val`; a fraction after it, `.123`, is allowed and dropped), or
    /// `None` if the text is not one: `20200230000000` (no 30th of
    /// February) and `20201301000000` are refused, not moved.
    pub fn parse_compact(text: &str) -> Option<SystemTime> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if whole.len() != 14 || !digits(whole) || !digits(fraction) {
            return None;
        }
        let number = |at: usize, len: usize| whole[at..at + len].parse::<i64>().ok();
        let (year, month, day) = (number(0, 4)?, number(4, 2)?, number(6, 2)?);
        let (hour, minute, second) = (number(8, 2)?, number(10, 2)?, number(12, 2)?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let unix = days * 86_400 + hour * 3600 + minute * 60 + second;
        let time = if unix >= 0 {
            UNIX_EPOCH + Duration::from_secs(unix.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(unix.unsigned_abs())
        };
        // A day past the end of its month comes back as another date.
        (Utc::from(time).compact() == whole).then_some(time)
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

/// The day counted from 1970-01-01 of year, month (1-12), day (1-31).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn compact_dates_read_back() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(Utc::parse_compact("19700101000000"), Some(at(0)));
        assert_eq!(Utc::parse_compact("20000229123456"), Some(at(951_827_696)));
        assert_eq!(
            Utc::parse_compact("20261205224400.123"),
            Some(at(1_796_510_640))
        );
        let before = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(Utc::parse_compact("19691231000000"), Some(before));
        for bad in [
            "",
            "2020010203040",
            "202001020304055",
            "2020010203040x",
            "20200230000000",
            "20190229000000",
            "20201301000000",
            "20200100000000",
            "20200101240000",
            "20200101006000",
            "20200101000060",
            "20200101000000.",
            "20200101000000.1a",
            "+2020010100000",
        ] {
            assert_eq!(Utc::parse_compact(bad), None, "{bad:?}");
        }
    }
}
