//! `ftpd --model poll --loops 2`: the first loop deals the control
//! connections round both loops, and a transfer's worker thread sends its
//! replies (`150`, `226`) back to the loop that serves its session, which
//! is not always the first (`Conn::loop_handle`).

mod ftpd_common;

use ftpd_common::{Control, no_panic_logged, pattern, start, tree};

#[test]
fn transfers_get_their_replies_on_every_loop() {
    let dir = tree(&[]);
    let body = pattern(11, 300 << 10);
    std::fs::write(dir.path().join("f.bin"), &body).unwrap();
    let server = start(
        dir.path(),
        &["--model", "poll", "--loops", "2", "--writable"],
    );
    assert!(
        server.serving_line.contains("poll (2 loops)"),
        "{}",
        server.serving_line
    );
    // Four sessions open at once, so that both loops serve some.
    let mut sessions: Vec<Control> = (0..4)
        .map(|_| {
            let mut c = Control::connect(&server.addr());
            c.login();
            assert!(c.cmd("TYPE I").starts_with("200"));
            c
        })
        .collect();
    for (i, c) in sessions.iter_mut().enumerate() {
        let got = c.download("RETR f.bin").expect("RETR");
        assert!(got == body, "session {i}: the file came back different");
        c.upload(&format!("STOR up-{i}.bin"), &body)
            .unwrap_or_else(|r| panic!("session {i}: STOR: {r}"));
        let listing = c.download("NLST").expect("NLST");
        assert!(
            String::from_utf8_lossy(&listing).contains(&format!("up-{i}.bin")),
            "session {i}: {listing:?}"
        );
    }
    for i in 0..4 {
        let stored = std::fs::read(dir.path().join(format!("up-{i}.bin"))).unwrap();
        assert!(stored == body, "up-{i}.bin differs");
    }
    for mut c in sessions {
        assert!(c.cmd("QUIT").starts_with("221"));
    }
    no_panic_logged(server);
}
