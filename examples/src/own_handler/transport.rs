//! A transport wrapper that prints each `get_request` (Python's
//! `get_request`: `accept()` for TCP, `recvfrom()` for UDP).

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use framework::{Address, Request, ServerHandle, Transport};

use super::where_am_i::{trace, where_am_i};

/// Any transport, traced.
pub struct TracingTransport<T>(pub T);

impl<T: Transport> Transport for TracingTransport<T> {
    type Request = T::Request;
    const IS_STREAM: bool = T::IS_STREAM;

    fn server_address(&self) -> Address {
        self.0.server_address()
    }

    fn get_request(&self, server: &ServerHandle) -> io::Result<T::Request> {
        let call = if T::IS_STREAM {
            "accept()"
        } else {
            "recvfrom()"
        };
        let result = self.0.get_request(server);
        match &result {
            Ok(request) => trace(
                1,
                &format!(
                    "get_request: poll said the socket is readable; {call} -> a request from {} ({})",
                    request.client_address(),
                    where_am_i()
                ),
            ),
            // The loop takes every ready request, then finds none left.
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            Err(err) => trace(1, &format!("get_request: {call} failed: {err}")),
        }
        result
    }
}

impl<T: Transport> AsFd for TracingTransport<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}
