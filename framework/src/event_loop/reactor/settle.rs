//! Settling: after callbacks, each touched connection's output is sent,
//! its limit checked, its closing finished, and its epoll interest updated.

use super::*;

impl<P: Protocol> Reactor<P> {
    pub(super) fn settle_touched<T, F>(&mut self, cx: &Context<'_, T, F>) {
        loop {
            for id in std::mem::take(&mut self.table.timer_set) {
                let Some(state) = self.table.get_mut(id) else {
                    continue;
                };
                // Only a deadline earlier than the one queued needs an entry.
                if let Some(when) = state.timer {
                    if state.timer_queued.is_none_or(|queued| when < queued) {
                        state.timer_queued = Some(when);
                        self.timers.add(when, id, Kind::Timer);
                    }
                }
            }
            let Some(index) = self.table.dirty.pop() else {
                return;
            };
            if let Some(id) = self.table.id_at(index) {
                self.settle(cx, id);
            }
        }
    }

    /// Brings one connection up to date after callbacks touched it.
    pub(super) fn settle<T, F>(&mut self, cx: &Context<'_, T, F>, id: ConnId) {
        let Some(state) = self.table.get_mut(id) else {
            return;
        };
        state.dirty = false;
        match state.ending {
            Ending::Done => return,
            Ending::Now => return self.finish(cx, id),
            Ending::No | Ending::Graceful => {}
        }
        let had_output = !state.output.is_empty();
        if had_output {
            match state.output.send(&state.socket) {
                Ok(0) => {}
                Ok(_) => state.last_active = Instant::now(),
                Err(err) => {
                    state.reason = Some(CloseReason::Failed(err));
                    return self.finish(cx, id);
                }
            }
        }
        if state.output.memory() > cx.settings.max_output {
            // A client that does not read: it costs us memory, so it goes.
            state.reason = Some(CloseReason::OutputLimit);
            state.output.clear();
            return self.finish(cx, id);
        }
        if state.output.is_empty() {
            if state.ending == Ending::Graceful {
                return self.finish(cx, id);
            }
            if state.shutdown_write && !state.write_shut {
                // Everything is sent: now the client may read end-of-file.
                state.write_shut = true;
                let _ = state.socket.shutdown(std::net::Shutdown::Write);
            }
            if had_output {
                call(
                    &mut self.table,
                    &mut self.protocols,
                    cx.hooks,
                    id,
                    |p, c| p.writable(c),
                );
                // It may have written more, or closed: settled again then.
                if self.table.get(id).is_some_and(|s| s.dirty) {
                    return;
                }
            }
        } else if state.ending == Ending::Graceful && !state.linger_armed {
            state.linger_armed = true;
            self.timers.add(Instant::now() + LINGER, id, Kind::Linger);
        }
        self.update_interest(id);
    }

    /// Tells epoll what this connection waits for now: bytes to read
    /// (unless paused, ended or closing), room to write (if output waits).
    pub(super) fn update_interest(&mut self, id: ConnId) {
        let Some(state) = self.table.get_mut(id) else {
            return;
        };
        let mut want = EpollFlags::empty();
        if state.ending == Ending::No && state.reading && !state.eof {
            want |= EpollFlags::EPOLLIN;
        }
        if !state.output.is_empty() {
            want |= EpollFlags::EPOLLOUT;
        }
        if want.bits() != state.interest {
            let mut event = EpollEvent::new(want, id.token());
            if self.epoll.modify(state.socket.as_fd(), &mut event).is_ok() {
                state.interest = want.bits();
            }
        }
    }

    /// Closes a connection: out of epoll, `Protocol::closed`, out of the table.
    pub(super) fn finish<T, F>(&mut self, cx: &Context<'_, T, F>, id: ConnId) {
        let Some(state) = self.table.get_mut(id) else {
            return;
        };
        if state.ending == Ending::Done {
            return;
        }
        let reason = state.reason.take().unwrap_or(match state.ending {
            Ending::Now => CloseReason::Aborted,
            _ if state.eof => CloseReason::PeerClosed,
            _ => CloseReason::Closed,
        });
        state.ending = Ending::Done;
        let _ = self.epoll.delete(state.socket.as_fd());
        if let Some(protocol) = self.protocols[id.index as usize].as_mut() {
            let mut conn = Conn::new(id, &mut self.table);
            let closed =
                panic::catch_unwind(AssertUnwindSafe(|| protocol.closed(&mut conn, &reason)));
            if let Err(payload) = closed {
                report(
                    &self.table,
                    cx.hooks,
                    id,
                    RequestError::Panic(panic_message(payload.as_ref())),
                );
            }
        }
        self.protocols[id.index as usize] = None;
        self.table.remove(id); // drops the socket: the kernel sends FIN
        cx.open.fetch_sub(1, Ordering::Relaxed);
        if self.accept_paused_until.is_some() {
            // Room for a new client, or a descriptor freed.
            self.accept_paused_until = Some(Instant::now());
        }
    }
}
