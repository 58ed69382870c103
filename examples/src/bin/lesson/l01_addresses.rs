//! Lesson 01: addresses, ports and name look-ups.
//!
//! An IP address is a number, a port is a second number that picks one
//! program on the host, and names (`localhost`, `mysql`) are looked up in
//! tables (`/etc/hosts`, DNS, `/etc/services`) to find those numbers.

mod lookups;

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};

use examples::lesson_kit::{Program, heading, labelled, read_next, say};

use crate::LessonResult;

/// Runs the lesson.
pub fn run() -> LessonResult {
    addresses_are_numbers();
    networks_and_masks();
    name_lookups()?;
    ports()?;
    real_connection()?;
    read_next(
        "notes/01-addresses.md",
        &[
            "examples/src/bin/lesson/l01_addresses.rs          (this lesson)",
            "examples/src/bin/lesson/l01_addresses/lookups.rs  (gethostbyaddr, getservbyname)",
            "examples/src/echo.rs                              (the server it connects to)",
        ],
    );
    Ok(())
}

/// Shows the bytes behind dotted-decimal text (inet_aton / inet_ntoa).
fn addresses_are_numbers() {
    heading("1. An IPv4 address is a 32-bit number (IPv6: 128 bits)");
    say("Python's socket.inet_aton('127.0.0.1') gives b'\\x7f\\x00\\x00\\x01'; in Rust:");
    for text in ["127.0.0.1", "192.168.1.72", "0.0.0.0", "255.255.255.255"] {
        let ip: Ipv4Addr = text.parse().expect("a valid address");
        let bytes = ip.octets();
        println!(
            "    {:<16} bytes {:<20} u32 {:<11} binary {:032b}  {}",
            text,
            format!("b\"{}\"", escape(&bytes)),
            u32::from(ip),
            u32::from(ip),
            kind(ip)
        );
    }
    let back = Ipv4Addr::from([0x7f, 0, 0, 1]);
    say(&format!("and back (inet_ntoa): [0x7f, 0, 0, 1] -> {back}"));
    let six: Ipv6Addr = "::1".parse().expect("a valid address");
    say(&format!(
        "IPv6 loopback \"::1\" is 16 bytes: {:02x?}",
        six.octets()
    ));
}

/// `\x7f\x00...`, the way Python prints bytes.
fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\x{b:02x}")).collect()
}

/// What an address is used for, from std's classification methods.
fn kind(ip: Ipv4Addr) -> &'static str {
    if ip.is_loopback() {
        "loopback: this host only (本地测试)"
    } else if ip.is_unspecified() {
        "unspecified: bind to every interface"
    } else if ip.is_broadcast() {
        "limited broadcast"
    } else if ip.is_private() {
        "private (LAN) address"
    } else {
        "public address"
    }
}

/// Network address, broadcast address and gateway from a netmask, with the
/// bit operations the course teaches (& and |).
fn networks_and_masks() {
    heading("2. Netmask, network, broadcast and gateway: bit operations");
    let host = u32::from(Ipv4Addr::new(192, 168, 1, 72));
    let mask = u32::from(Ipv4Addr::new(255, 255, 255, 0));
    let network = host & mask;
    let broadcast = network | !mask;
    println!("    host      192.168.1.72     {host:032b}");
    println!(
        "    netmask   255.255.255.0    {mask:032b}  (/{})",
        mask.count_ones()
    );
    println!(
        "    network   {:<16} {network:032b}  host & mask",
        Ipv4Addr::from(network)
    );
    println!(
        "    broadcast {:<16} {broadcast:032b}  network | !mask",
        Ipv4Addr::from(broadcast)
    );
    println!(
        "    gateway   {:<16} (by convention the first host of the network)",
        Ipv4Addr::from(network + 1)
    );
    say("On this machine the loopback network is 127.0.0.0/8, so its broadcast");
    say("address is 127.255.255.255: lesson 06 broadcasts there.");
}

/// Host names and service names turned into numbers, and back.
fn name_lookups() -> LessonResult {
    heading("3. Name look-ups: host names and service names");
    let hostname = lookups::this_host_name()?;
    say(&format!("gethostname() -> {hostname:?}"));
    // getaddrinfo, which Python's gethostbyname calls too. Only names that
    // /etc/hosts answers are looked up: the lesson stays off the network.
    let mut names = vec!["localhost".to_string()];
    if lookups::listed_in_etc_hosts(&hostname) {
        names.push(hostname);
    }
    for name in &names {
        let addresses: Vec<IpAddr> = (name.as_str(), 0)
            .to_socket_addrs()?
            .map(|a| a.ip())
            .collect();
        say(&format!("getaddrinfo({name:?}) -> {addresses:?}"));
    }
    // The reverse look-up likewise, only when /etc/hosts can answer it.
    let reverse = if lookups::address_in_etc_hosts("127.0.0.1") {
        lookups::host_name_of(Ipv4Addr::LOCALHOST.into())
    } else {
        Err(std::io::Error::other(
            "127.0.0.1 is not in /etc/hosts; not asking DNS",
        ))
    };
    match reverse {
        Ok(name) => say(&format!(
            "getnameinfo(127.0.0.1), Python's gethostbyaddr -> {name:?}"
        )),
        Err(err) => say(&format!("getnameinfo(127.0.0.1) failed: {err}")),
    }
    say("Service names come from /etc/services (Python: socket.getservbyname):");
    for service in ["http", "https", "ssh", "ftp", "mysql"] {
        match lookups::port_of_service(service, "tcp") {
            Some(port) => println!("    getservbyname({service:?}, \"tcp\") -> {port}"),
            None => {
                println!("    getservbyname({service:?}, \"tcp\") -> not in this machine's table")
            }
        }
    }
    Ok(())
}

/// Port numbers: 0 asks the kernel for a free one, and a port is taken by
/// one socket at a time (per protocol).
fn ports() -> LessonResult {
    heading("4. Ports: which program on the host gets the data");
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-");
    // A free TCP port whose number is free for UDP too (another program
    // could hold it for UDP; then pick another).
    let mut pair = None;
    for _ in 0..20 {
        let first = TcpListener::bind("127.0.0.1:0")?;
        if let Ok(udp) = UdpSocket::bind(first.local_addr()?) {
            pair = Some((first, udp));
            break;
        }
    }
    let (first, udp) = pair.ok_or("found no port free for both TCP and UDP")?;
    let second = TcpListener::bind("127.0.0.1:0")?;
    let port = first.local_addr()?.port();
    say(&format!(
        "bind(('127.0.0.1', 0)) twice -> ports {} and {} (the kernel's free range is {range})",
        port,
        second.local_addr()?.port()
    ));
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => say("binding the same port again worked (unexpected on Linux)"),
        Err(err) => say(&format!(
            "bind(('127.0.0.1', {port})) again -> error: {err}"
        )),
    }
    say(&format!(
        "but a UDP socket can bind port {} too: TCP and UDP have separate port numbers",
        udp.local_addr()?.port()
    ));
    Ok(())
}

/// A real server on a kernel-chosen port, reached by name; the connection is
/// identified by four numbers: both addresses and both ports.
fn real_connection() -> LessonResult {
    heading("5. A real server and client: a connection is four numbers");
    let server = Program::server("server", "echo-server", &["0"])?;
    let target = format!("localhost:{}", server.port);
    let candidates: Vec<_> = target.to_socket_addrs()?.collect();
    labelled(
        "client",
        &format!("\"{target}\" resolves to {candidates:?}"),
    );
    // TcpStream::connect(target) does exactly this loop: try each address.
    let mut stream = None;
    for address in candidates {
        match TcpStream::connect(address) {
            Ok(s) => {
                labelled("client", &format!("connect({address}) -> connected"));
                stream = Some(s);
                break;
            }
            Err(err) => labelled("client", &format!("connect({address}) -> {err}")),
        }
    }
    let mut stream = stream.ok_or("could not connect to the echo server")?;
    let local = stream.local_addr()?;
    let peer = stream.peer_addr()?;
    labelled(
        "client",
        &format!(
            "the connection: ({}, {}) -> ({}, {}); my port {} was picked by the kernel",
            local.ip(),
            local.port(),
            peer.ip(),
            peer.port(),
            local.port()
        ),
    );
    stream.write_all(b"where am I?\n")?;
    let mut reply = String::new();
    BufReader::new(&stream).read_line(&mut reply)?;
    labelled(
        "client",
        &format!("sent \"where am I?\\n\", echoed back {reply:?}"),
    );
    if reply != "where am I?\n" {
        return Err(format!("unexpected echo {reply:?}").into());
    }
    drop(stream);
    server.interrupt();
    Ok(())
}
