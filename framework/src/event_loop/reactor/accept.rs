//! Accepting: the listening socket is ready, or the first loop dealt
//! this one a connection; each new connection gets its protocol.

use super::*;

impl<P: Protocol> Reactor<P> {
    pub(super) fn watch_listener(&self, listener: BorrowedFd<'_>) -> io::Result<()> {
        let event = EpollEvent::new(EpollFlags::EPOLLIN, LISTENER);
        Ok(self.epoll.add(listener, event)?)
    }

    pub(super) fn accept_ready<T, F>(&mut self, cx: &Context<'_, T, F>)
    where
        T: StreamTransport,
        F: Fn() -> P,
    {
        for _ in 0..ACCEPTS_PER_TURN {
            if cx
                .settings
                .max_connections
                .is_some_and(|max| cx.open.load(Ordering::Relaxed) >= max)
            {
                // New clients wait in the kernel's listen queue meanwhile.
                self.pause_accepting(cx);
                return;
            }
            match cx.transport.accept_connection() {
                Ok((socket, client)) => {
                    // Dealt round the loops; this loop's share it admits itself.
                    let to = cx.dealt.fetch_add(1, Ordering::Relaxed) % cx.inboxes.len();
                    if to == usize::from(self.index) {
                        self.admit(cx, socket, client);
                    } else {
                        cx.inboxes[to].put(socket, client);
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if is_resource_shortage(&err) => {
                    // The connection stays queued and the listener stays
                    // readable: without a pause the loop would spin.
                    self.pause_accepting(cx);
                    return;
                }
                // The client gave up before we accepted (ECONNABORTED...).
                Err(_) => {}
            }
        }
    }

    pub(super) fn pause_accepting<T: StreamTransport, F>(&mut self, cx: &Context<'_, T, F>) {
        if self.accept_paused_until.is_none() {
            let _ = self.epoll.delete(cx.transport.as_fd());
        }
        self.accept_paused_until = Some(Instant::now() + ACCEPT_BACK_OFF);
    }

    pub(super) fn resume_accepting<T: StreamTransport, F>(&mut self, cx: &Context<'_, T, F>) {
        if self.accept_paused_until.take().is_some() {
            let _ = self.watch_listener(cx.transport.as_fd());
        }
    }

    pub(super) fn resume_accepting_if_due<T: StreamTransport, F>(
        &mut self,
        cx: &Context<'_, T, F>,
    ) {
        if self
            .accept_paused_until
            .is_some_and(|until| Instant::now() >= until)
        {
            self.resume_accepting(cx);
        }
    }

    /// Takes a new connection into the loop: `verify_request`, a protocol
    /// from the factory, its deadlines, `Protocol::connected`.
    pub(super) fn admit<T, F>(
        &mut self,
        cx: &Context<'_, T, F>,
        socket: Connection,
        client: Address,
    ) where
        F: Fn() -> P,
    {
        if !cx.hooks.verify(&client) || socket.set_nonblocking(true).is_err() {
            return; // dropping the socket closes it
        }
        let protocol = match panic::catch_unwind(AssertUnwindSafe(cx.factory)) {
            Ok(protocol) => protocol,
            Err(payload) => {
                let error = RequestError::Panic(panic_message(payload.as_ref()));
                (cx.hooks.handle_error)(&client, &error);
                return;
            }
        };
        let now = Instant::now();
        let id = self.table.insert(State::new(socket, client, now));
        let state = self.table.get(id).expect("just inserted");
        let registered = self.epoll.add(
            state.socket.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, id.token()),
        );
        if registered.is_err() {
            self.table.remove(id);
            return;
        }
        let slot = id.index as usize;
        if self.protocols.len() <= slot {
            self.protocols.resize_with(slot + 1, || None);
        }
        self.protocols[slot] = Some(protocol);
        cx.open.fetch_add(1, Ordering::Relaxed);
        if let Some(idle) = cx.settings.idle_timeout {
            self.timers.add(now + idle, id, Kind::Idle);
        }
        if let Some(total) = cx.settings.total_timeout {
            self.timers.add(now + total, id, Kind::Total);
        }
        call(
            &mut self.table,
            &mut self.protocols,
            cx.hooks,
            id,
            |p, conn| p.connected(conn),
        );
        self.table.touch(id);
        // A client usually sends its first bytes right after connecting:
        // they are often here already, and reading them now saves a turn
        // of the loop (one `epoll_wait`) per connection.
        self.read_from(cx, id);
    }
}
