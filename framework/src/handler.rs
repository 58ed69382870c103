//! The request handler: Python's `BaseRequestHandler`, as a trait.

use std::any::Any;
use std::io;
use std::panic::{self, AssertUnwindSafe};

use crate::{Request, RequestError};

/// Handles one request. The server makes a fresh handler for every request
/// (from the factory closure given to `bind`) and calls, in order:
///
/// 1. [`setup`](RequestHandler::setup): prepare; if it fails, nothing else runs;
/// 2. [`handle`](RequestHandler::handle): the work;
/// 3. [`finish`](RequestHandler::finish): clean up; runs even when `handle` failed or panicked.
///
/// `R` is [`StreamRequest`](crate::StreamRequest) for TCP and Unix stream
/// servers, [`DatagramRequest`](crate::DatagramRequest) for UDP and Unix
/// datagram servers. State shared by all handlers (a chat room's members, a
/// counter) lives behind an `Arc` that the factory closure clones into each
/// handler:
///
/// ```
/// use std::io::{self, Write};
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use framework::{RequestHandler, StreamRequest, ThreadingTcpServer};
///
/// /// Tells each client how many came before it.
/// struct Counter {
///     visits: Arc<AtomicUsize>,
/// }
///
/// impl RequestHandler<StreamRequest> for Counter {
///     fn setup(&mut self, req: &mut StreamRequest) -> io::Result<()> {
///         req.set_nodelay(true) // Python's disable_nagle_algorithm
///     }
///
///     fn handle(&mut self, req: &mut StreamRequest) -> io::Result<()> {
///         let before = self.visits.fetch_add(1, Ordering::SeqCst);
///         writeln!(req.wfile, "{before} visitors before you")
///     }
/// }
///
/// # fn main() -> io::Result<()> {
/// let visits = Arc::new(AtomicUsize::new(0));
/// let server = ThreadingTcpServer::bind("127.0.0.1:0", move || Counter {
///     visits: Arc::clone(&visits),
/// })?;
/// # Ok(())
/// # }
/// ```
pub trait RequestHandler<R>: Send + 'static {
    /// Called before `handle`. Default: nothing.
    fn setup(&mut self, _request: &mut R) -> io::Result<()> {
        Ok(())
    }

    /// Does the work of the request.
    fn handle(&mut self, request: &mut R) -> io::Result<()>;

    /// Called after `handle`, whether it succeeded or not. Default: nothing.
    fn finish(&mut self, _request: &mut R) -> io::Result<()> {
        Ok(())
    }
}

/// Runs the setup / handle / finish life cycle of one handler on one request,
/// turning a panic into a [`RequestError::Panic`] so that the server goes on.
pub(crate) fn run_handler<R, H>(mut handler: H, request: &mut R) -> Result<(), RequestError>
where
    R: Request,
    H: RequestHandler<R>,
{
    catch(|| handler.setup(request))?;
    let handled = catch(|| handler.handle(request));
    let finished = catch(|| handler.finish(request));
    handled?;
    finished?;
    request.complete().map_err(RequestError::Io)
}

/// Calls `f`, mapping both its error and a panic inside it to a `RequestError`.
fn catch(f: impl FnOnce() -> io::Result<()>) -> Result<(), RequestError> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(RequestError::Io),
        Err(payload) => Err(RequestError::Panic(panic_message(payload.as_ref()))),
    }
}

/// The text of a panic, when it carried one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}
