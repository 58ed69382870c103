//! Reading: a socket is ready, and what came goes to the protocol.

use super::*;

impl<P: Protocol> Reactor<P> {
    pub(super) fn connection_ready<T, F>(
        &mut self,
        cx: &Context<'_, T, F>,
        id: ConnId,
        flags: EpollFlags,
    ) {
        let Some(state) = self.table.get_mut(id) else {
            return; // closed earlier in this turn
        };
        let broken = flags.intersects(EpollFlags::EPOLLHUP | EpollFlags::EPOLLERR);
        if flags.contains(EpollFlags::EPOLLOUT) || state.ending != Ending::No {
            // Sending (or finishing a close) happens when it is settled.
            self.table.touch(id);
        }
        let state = self.table.get_mut(id).expect("looked up above");
        let can_read = state.ending == Ending::No && state.reading && !state.eof;
        if can_read && (flags.contains(EpollFlags::EPOLLIN) || broken) {
            self.read_from(cx, id);
        } else if broken && state.output.is_empty() {
            // Reset, or gone while reading was paused: nothing to do but end.
            let error = socket2::SockRef::from(&state.socket).take_error();
            state.reason = Some(match error {
                Ok(Some(err)) => CloseReason::Failed(err),
                _ => CloseReason::PeerClosed,
            });
            state.ending = Ending::Now;
            self.table.touch(id);
        }
    }

    /// Reads what the client sent and hands it to the protocol.
    pub(super) fn read_from<T, F>(&mut self, cx: &Context<'_, T, F>, id: ConnId) {
        for _ in 0..READS_PER_TURN {
            let Some(state) = self.table.get_mut(id) else {
                return;
            };
            if state.ending != Ending::No || !state.reading || state.eof {
                return;
            }
            match (&state.socket).read(&mut self.buffer) {
                Ok(0) => {
                    state.eof = true;
                    self.table.touch(id);
                    call(
                        &mut self.table,
                        &mut self.protocols,
                        cx.hooks,
                        id,
                        |p, c| p.eof_received(c),
                    );
                    return;
                }
                Ok(n) => {
                    state.last_active = Instant::now();
                    let data = &self.buffer[..n];
                    call(
                        &mut self.table,
                        &mut self.protocols,
                        cx.hooks,
                        id,
                        |p, c| p.data_received(c, data),
                    );
                    if n < self.buffer.len() {
                        return; // the socket is most likely empty now
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    state.reason = Some(CloseReason::Failed(err));
                    state.ending = Ending::Now;
                    self.table.touch(id);
                    return;
                }
            }
        }
    }
}
