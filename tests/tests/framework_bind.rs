//! A failed bind returns an error and leaks no descriptor (CPython bpo-22435
//! checks the same 1,024 times). The only test in this file, so that no other
//! test opens descriptors in this process while it counts them.

use std::fs;
use std::io::{self, ErrorKind};
use std::net::TcpListener;

use framework::{
    DatagramRequest, RequestHandler, StreamRequest, TcpServer, UdpServer, UnixStreamServer,
};

struct Nothing;

impl RequestHandler<StreamRequest> for Nothing {
    fn handle(&mut self, _: &mut StreamRequest) -> io::Result<()> {
        Ok(())
    }
}

impl RequestHandler<DatagramRequest> for Nothing {
    fn handle(&mut self, _: &mut DatagramRequest) -> io::Result<()> {
        Ok(())
    }
}

fn open_descriptors() -> usize {
    tests::procfs::fd_count(std::process::id())
}

#[test]
fn a_failed_bind_returns_an_error_and_leaks_no_descriptor() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap();
    let udp_taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_addr = udp_taken.local_addr().unwrap();
    let dir = tempfile::Builder::new()
        .prefix("fw")
        .tempdir_in("/tmp")
        .unwrap();
    let file_in_the_way = dir.path().join("s");
    fs::write(&file_in_the_way, b"not a socket").unwrap();

    let before = open_descriptors();
    for _ in 0..1024 {
        let err = TcpServer::bind(taken_addr, || Nothing)
            .err()
            .expect("port in use");
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        let err = UdpServer::bind(udp_addr, || Nothing)
            .err()
            .expect("port in use");
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        let err = UnixStreamServer::bind(&file_in_the_way, || Nothing)
            .err()
            .expect("path in use");
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
    }
    assert_eq!(
        open_descriptors(),
        before,
        "descriptors leaked by failed binds"
    );
    // The file that was in the way is not removed by the failed server.
    assert_eq!(fs::read(&file_in_the_way).unwrap(), b"not a socket");
}
