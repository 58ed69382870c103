//! Deadlines: the idle, total, linger and protocol timers that came due.

use super::*;

impl<P: Protocol> Reactor<P> {
    pub(super) fn fire_timers<T, F>(&mut self, cx: &Context<'_, T, F>) {
        let now = Instant::now();
        while let Some((id, kind, when)) = self.timers.pop_due(now, self.index) {
            let Some(state) = self.table.get_mut(id) else {
                continue; // closed since
            };
            match kind {
                Kind::Idle => {
                    let Some(idle) = cx.settings.idle_timeout else {
                        continue;
                    };
                    if state.ending != Ending::No {
                        continue; // a closing connection lingers instead
                    }
                    let due = state.last_active + idle;
                    if due > now {
                        self.timers.add(due, id, Kind::Idle);
                    } else {
                        self.time_out(cx, id, Timeout::Idle);
                    }
                }
                Kind::Total => {
                    if state.ending == Ending::No {
                        self.time_out(cx, id, Timeout::Total);
                    }
                }
                Kind::Timer => {
                    if state.timer_queued != Some(when) {
                        continue; // an entry replaced by an earlier one
                    }
                    state.timer_queued = None;
                    match state.timer {
                        // The protocol moved its deadline later meanwhile.
                        Some(deadline) if deadline > now => {
                            state.timer_queued = Some(deadline);
                            self.timers.add(deadline, id, Kind::Timer);
                        }
                        Some(_) if state.ending == Ending::No => {
                            state.timer = None;
                            self.time_out(cx, id, Timeout::Timer);
                        }
                        _ => {}
                    }
                }
                Kind::Linger => {
                    let due = state.last_active + LINGER;
                    if state.ending != Ending::Graceful {
                        continue;
                    } else if due > now {
                        self.timers.add(due, id, Kind::Linger);
                    } else {
                        state.reason = Some(CloseReason::TimedOut(Timeout::Idle));
                        state.output.clear();
                        state.ending = Ending::Now;
                        self.table.touch(id);
                    }
                }
            }
        }
    }

    /// A timeout passed: the protocol may say goodbye, then it closes.
    pub(super) fn time_out<T, F>(&mut self, cx: &Context<'_, T, F>, id: ConnId, which: Timeout) {
        call(
            &mut self.table,
            &mut self.protocols,
            cx.hooks,
            id,
            |p, c| p.timed_out(c, which),
        );
        if let Some(state) = self.table.get_mut(id) {
            // The server's timeouts close; the protocol's timer is its own.
            if state.ending == Ending::No && which != Timeout::Timer {
                state.ending = Ending::Graceful;
                state.reason = Some(CloseReason::TimedOut(which));
            }
        }
        self.table.touch(id);
    }
}
