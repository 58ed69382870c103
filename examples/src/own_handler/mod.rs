//! Lesson 20, the framework from the inside: a server that prints what
//! happens to each request on its way from `serve_forever` to `handle`.
//!
//! ```text
//! trace-server [--model sequential|threading|forking] [--transport tcp|udp] [PORT]
//! ```
//!
//! Nothing in the framework is changed for this: the server is built from
//! the framework's public parts, each wrapped to print a line when it is
//! called. [`TracingTransport`] wraps a transport (its `get_request` is
//! `accept()` or `recvfrom()`), [`TracingMixIn`] wraps a concurrency model
//! (its `process_request` decides where the request runs), and
//! [`TraceHandler`] prints its own `setup` / `handle` / `finish`.
//! `TracingMixIn` is also the smallest example of a mix-in of your own.

mod handler;
mod mixin;
mod transport;
pub mod where_am_i;

pub use handler::TraceHandler;
pub use mixin::{ModelName, TracingMixIn};
pub use transport::TracingTransport;

use std::ffi::OsString;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use framework::{
    Bind, ForkingMixIn, MixIn, Sequential, Server, ServerOptions, TcpTransport, ThreadPoolMixIn,
    ThreadingMixIn, UdpTransport,
};

use crate::serving::{Model, announce};
use where_am_i::{trace, where_am_i};

/// Trace the path of every request through the framework.
#[derive(Parser)]
#[command(name = "trace-server")]
struct Args {
    /// How requests run.
    #[arg(long, value_enum, default_value_t = Model::Threading)]
    model: Model,
    /// TCP (accept, a connection per request) or UDP (recvfrom, a datagram per request).
    #[arg(long, value_enum, default_value_t = Kind::Tcp)]
    transport: Kind,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(default_value_t = 0)]
    port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Kind {
    Tcp,
    Udp,
}

/// The `trace-server` program.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    where_am_i::remember_server_pid();
    let address = SocketAddr::from(([127, 0, 0, 1], args.port));
    let result = match args.transport {
        Kind::Tcp => with_model::<TcpTransport>(args.model, address),
        Kind::Udp => with_model::<UdpTransport>(args.model, address),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("trace-server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn with_model<T>(model: Model, address: SocketAddr) -> io::Result<()>
where
    T: Bind<SocketAddr>,
    TraceHandler: framework::RequestHandler<T::Request>,
{
    match model {
        Model::Sequential => serve::<T, Sequential>(address, Sequential),
        Model::Threading => serve::<T, ThreadingMixIn>(address, ThreadingMixIn::default()),
        Model::Forking => serve::<T, ForkingMixIn>(address, ForkingMixIn::default()),
        Model::Pool => serve::<T, ThreadPoolMixIn>(address, ThreadPoolMixIn::default()),
        // A protocol, not a RequestHandler: there is no request to trace.
        Model::Poll => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "trace-server traces RequestHandler models; the event loop has none",
        )),
    }
}

/// Builds the traced server by hand, the way the named aliases do it, and
/// runs it until Ctrl+C.
fn serve<T, M>(address: SocketAddr, model: M) -> io::Result<()>
where
    T: Bind<SocketAddr>,
    M: MixIn + ModelName,
    TraceHandler: framework::RequestHandler<T::Request>,
{
    let transport = TracingTransport(T::bind(address, &ServerOptions::default())?);
    let mut server = Server::from_transport(transport, TracingMixIn::new(model), || TraceHandler)?;
    server.set_verify_request(|client| {
        trace(2, &format!("verify_request({client}) -> true: let it in"));
        true
    });
    let what = format!(
        "traced requests over {}, {}",
        if T::IS_STREAM { "TCP" } else { "UDP" },
        server.mixin().inner().name()
    );
    announce(&what, &server.server_address());
    server.shutdown_on_ctrl_c()?;
    trace(
        0,
        &format!(
            "serve_forever: loop starts ({}); it polls the socket and the wake-up pipe",
            where_am_i()
        ),
    );
    // service_actions runs on every pass of the loop, at least every 0.5 s;
    // TracingMixIn prints it only when the model's state changed.
    server.serve_forever()?;
    trace(
        0,
        "serve_forever returned: Ctrl+C called shutdown(), which wrote to the wake-up pipe; poll woke at once",
    );
    trace(
        0,
        "server_close: close the socket, then the mix-in's server_close",
    );
    drop(server);
    trace(0, "server closed; the program ends");
    Ok(())
}
