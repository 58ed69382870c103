//! HTTPS: the same 1 KiB keep-alive load over TLS, ours on the event loop
//! (the `Tls` adapter, rustls with aws-lc-rs) against nginx with TLS
//! (OpenSSL), both with a certificate this run makes (`rcgen`).

use std::fs;
use std::path::{Path, PathBuf};

use super::{Args, LOADS, median, start_nginx, start_ours, wrk};

/// The certificate and key files of this run.
pub(crate) struct Files {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

fn make_files(dir: &Path) -> Result<Files, Box<dyn std::error::Error>> {
    let key = rcgen::KeyPair::generate()?;
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])?;
    let cert = params.self_signed(&key)?;
    let files = Files {
        cert: dir.join("bench-cert.pem"),
        key: dir.join("bench-key.pem"),
    };
    fs::write(&files.cert, cert.pem())?;
    fs::write(&files.key, key.serialize_pem())?;
    Ok(files)
}

/// Measures and prints the HTTPS figure.
pub(crate) fn figure(args: &Args, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let files = make_files(dir)?;
    let tls_args = [
        "--model",
        "poll",
        "--tls-cert",
        files.cert.to_str().ok_or("a UTF-8 path")?,
        "--tls-key",
        files.key.to_str().ok_or("a UTF-8 path")?,
    ];
    let mut servers = vec![start_ours(dir, &tls_args, "poll")?];
    for (workers, name) in [("1", "nginx1"), ("auto", "nginx")] {
        match start_nginx(dir, workers, name, Some(&files)) {
            Ok(Some(nginx)) => servers.push(nginx),
            Ok(None) => println!("nginx: not installed — HTTPS compared with nothing"),
            Err(err) => println!("nginx with TLS: could not start ({err})"),
        }
    }
    let load = &LOADS[0];
    let mut rounds = vec![Vec::new(); servers.len()];
    for _ in 0..args.rounds {
        for (s, server) in servers.iter().enumerate() {
            let url = format!("https://127.0.0.1:{}{}", server.port, load.path);
            rounds[s].push(wrk(args, &url, load)?);
        }
    }
    let medians: Vec<_> = rounds.into_iter().map(median).collect();
    println!(
        "\nHTTPS, {} (TLS 1.3, wrk -t1 -c{}):",
        load.name, args.connections
    );
    println!(
        "{:<8} {:>10} {:>9} {:>9}",
        "server", "req/s", "p50 ms", "p99 ms"
    );
    for (server, f) in servers.iter().zip(&medians) {
        println!(
            "{:<8} {:>10.0} {:>9.2} {:>9.2}",
            server.name, f.requests_per_sec, f.p50_ms, f.p99_ms
        );
    }
    for (i, server) in servers.iter().enumerate().skip(1) {
        let r = medians[0].requests_per_sec / medians[i].requests_per_sec;
        let verdict = if r >= 0.8 { "met" } else { "NOT met" };
        println!(
            "  poll over TLS: {r:.2}× {} over TLS (≥ 0.8×: {verdict})",
            server.name
        );
    }
    Ok(())
}
