//! The C library's look-up tables that Python's `socket.gethostbyaddr` and
//! `socket.getservbyname` call into. Rust's std has the forward host look-up
//! (`ToSocketAddrs`, which calls getaddrinfo) but not these two, so they are
//! called through `libc` here.

use std::ffi::{CStr, CString};
use std::io;
use std::net::{IpAddr, SocketAddr};

/// Whether `/etc/hosts` lists `name`: then a look-up is answered from that
/// file and never leaves the machine.
pub fn listed_in_etc_hosts(name: &str) -> bool {
    etc_hosts()
        .iter()
        .any(|fields| fields.iter().skip(1).any(|alias| alias == name))
}

/// Whether `/etc/hosts` has a line for the address `ip` (as written there).
pub fn address_in_etc_hosts(ip: &str) -> bool {
    etc_hosts().iter().any(|fields| fields[0] == ip)
}

/// The lines of `/etc/hosts`, comments left out, as their fields: an
/// address, then its names.
fn etc_hosts() -> Vec<Vec<String>> {
    std::fs::read_to_string("/etc/hosts")
        .unwrap_or_default()
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .map(|line| {
            line.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|fields| !fields.is_empty())
        .collect()
}

/// The host name of an address (reverse look-up), with `getnameinfo`.
pub fn host_name_of(ip: IpAddr) -> io::Result<String> {
    let address = socket2::SockAddr::from(SocketAddr::new(ip, 0));
    let mut host = [0 as libc::c_char; 256];
    // SAFETY: `address` is a valid socket address of the given length, and
    // `host` is a writable buffer of the given length that outlives the
    // call; no service name is asked for (null pointer, length 0).
    let status = unsafe {
        libc::getnameinfo(
            address.as_ptr().cast::<libc::sockaddr>(),
            address.len(),
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if status != 0 {
        // SAFETY: gai_strerror returns a pointer to a static message.
        let message = unsafe { CStr::from_ptr(libc::gai_strerror(status)) };
        return Err(io::Error::other(message.to_string_lossy().into_owned()));
    }
    // SAFETY: on success getnameinfo wrote a NUL-terminated string into `host`.
    let name = unsafe { CStr::from_ptr(host.as_ptr()) };
    Ok(name.to_string_lossy().into_owned())
}

/// The port of a named service (`"mysql"` → 3306), from `/etc/services`.
pub fn port_of_service(service: &str, protocol: &str) -> Option<u16> {
    let service = CString::new(service).ok()?;
    let protocol = CString::new(protocol).ok()?;
    // SAFETY: both arguments are NUL-terminated strings that live through
    // the call. The result points to a static entry that the next call
    // overwrites; it is read at once, and only this thread calls it.
    let entry = unsafe { libc::getservbyname(service.as_ptr(), protocol.as_ptr()) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: a non-null result points to a valid `servent`.
    let port = unsafe { (*entry).s_port };
    // The port is stored in network byte order in the low 16 bits.
    Some(u16::from_be(port as u16))
}

/// This machine's name (Python: `socket.gethostname()`).
pub fn this_host_name() -> io::Result<String> {
    let mut name = [0 as libc::c_char; 256];
    // SAFETY: `name` is writable for its whole length; one byte is kept
    // back so the result is NUL-terminated even if the name was cut short.
    if unsafe { libc::gethostname(name.as_mut_ptr(), name.len() - 1) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the buffer holds a NUL-terminated string (see above).
    let name = unsafe { CStr::from_ptr(name.as_ptr()) };
    Ok(name.to_string_lossy().into_owned())
}
