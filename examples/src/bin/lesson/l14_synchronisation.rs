//! Lesson 14: synchronisation and mutual exclusion (同步互斥) — Event, Lock,
//! Semaphore (信号量), a deadlock (死锁) caught with a timeout, and how lock
//! ordering avoids it. Threads in this process, and one semaphore shared by
//! real processes.

pub mod primitives;
pub mod processes;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use examples::lesson_kit::{Program, heading, read_next, say};

use crate::LessonResult;
use crate::common_b::finish_demo;
use primitives::{Event, Semaphore};

/// Runs the lesson.
pub fn run() -> LessonResult {
    say("Critical resource (临界资源): data several threads or processes can touch.");
    say("Critical section (临界区): the code that touches it. Synchronisation (同步)");
    say("orders the workers; mutual exclusion (互斥) lets one in at a time.");
    event()?;
    lock();
    semaphore()?;
    deadlock();
    read_next(
        "notes/14-synchronisation.md",
        &[
            "examples/src/bin/lesson/l14_synchronisation.rs (the demos)",
            "examples/src/bin/lesson/l14_synchronisation/primitives.rs (Event, Semaphore)",
            "examples/src/bin/lesson/l14_synchronisation/processes.rs (a process-shared sem_t)",
        ],
    );
    Ok(())
}

fn event() -> LessonResult {
    heading("Event: wait until someone says go");
    let event = Arc::new(Event::new());
    let started = Instant::now();
    let waiters: Vec<_> = (1..=3)
        .map(|n| {
            let event = Arc::clone(&event);
            thread::spawn(move || {
                println!("[thread {n}] e.wait() ...");
                let set = event.wait(Duration::from_secs(5));
                println!(
                    "[thread {n}] released after {:.2} s (flag {set})",
                    started.elapsed().as_secs_f64()
                );
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(200));
    say(&format!("e.is_set() = {}; now e.set()", event.is_set()));
    event.set();
    for waiter in waiters {
        waiter.join().map_err(|_| "a waiter panicked")?;
    }
    event.clear();
    let before = Instant::now();
    let set = event.wait(Duration::from_millis(100));
    say(&format!(
        "after e.clear(), e.wait(0.1) returns {set} after {:.2} s: it blocks again",
        before.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn lock() {
    heading("Lock: four threads add 100000 each to one counter");
    const THREADS: u64 = 4;
    const ADDS: u64 = 100_000;
    let racy = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let racy = Arc::clone(&racy);
            thread::spawn(move || {
                for _ in 0..ADDS {
                    // Read, then write: another thread can come in between,
                    // and its update is overwritten (lost).
                    racy.store(racy.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    handles
        .into_iter()
        .for_each(|h| h.join().expect("no panic"));
    let total = THREADS * ADDS;
    let got = racy.load(Ordering::Relaxed);
    say(&format!(
        "without a lock: {got} of {total} ({} updates lost)",
        total - got
    ));

    let counter = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..ADDS {
                    // lock() = acquire(); the guard's end of scope = release()
                    // (Python's `with lock:`).
                    *counter.lock().expect("not poisoned") += 1;
                }
            })
        })
        .collect();
    handles
        .into_iter()
        .for_each(|h| h.join().expect("no panic"));
    say(&format!(
        "with a Mutex:   {} of {total}",
        *counter.lock().expect("not poisoned")
    ));
    say("In Rust the data lives INSIDE the Mutex: you cannot touch it without locking.");
}

fn semaphore() -> LessonResult {
    heading("Semaphore: at most 2 of 5 threads inside at once");
    let semaphore = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (1..=5)
        .map(|n| {
            let (semaphore, inside, most) = (
                Arc::clone(&semaphore),
                Arc::clone(&inside),
                Arc::clone(&most),
            );
            thread::spawn(move || {
                semaphore.acquire();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                println!("[thread {n}] acquired ({now} inside)");
                thread::sleep(Duration::from_millis(60));
                inside.fetch_sub(1, Ordering::SeqCst);
                println!("[thread {n}] release");
                semaphore.release();
            })
        })
        .collect();
    handles
        .into_iter()
        .for_each(|h| h.join().expect("no panic"));
    say(&format!(
        "threads: at most {} inside at once (limit 2); free permits now {}",
        most.load(Ordering::SeqCst),
        semaphore.value()
    ));

    say("The same between processes: a sem_t in shared memory (sync-demo):");
    let mut demo = Program::start("sync-demo", "sync-demo", &[])?;
    finish_demo(
        &mut demo,
        "sync-demo (the process semaphore)",
        Duration::from_secs(10),
    )?;
    Ok(())
}

fn deadlock() {
    heading("Deadlock (死锁): each holds one lock and wants the other's");
    let a = Arc::new(parking_lot::Mutex::new("A"));
    let b = Arc::new(parking_lot::Mutex::new("B"));
    // Both must hold their first lock before either tries the second, and
    // both keep it until both have tried: the deadlock happens every time.
    let holding = Arc::new(Barrier::new(2));
    let tried = Arc::new(Barrier::new(2));
    let spawn = |name: &'static str,
                 first: Arc<parking_lot::Mutex<&'static str>>,
                 second: Arc<parking_lot::Mutex<&'static str>>| {
        let (holding, tried) = (Arc::clone(&holding), Arc::clone(&tried));
        thread::spawn(move || {
            let held = first.lock();
            println!("[{name}] holds {}, now wants the other lock", *held);
            holding.wait();
            // A plain lock() here would wait forever. try_lock_for gives up,
            // which is how we can show a deadlock without hanging.
            let got = second.try_lock_for(Duration::from_millis(300)).is_some();
            if got {
                println!("[{name}] got the second lock");
            } else {
                println!("[{name}] waited 0.3 s for the second lock: DEADLOCK, giving up");
            }
            tried.wait();
            got
        })
    };
    let t1 = spawn("thread 1", Arc::clone(&a), Arc::clone(&b));
    let t2 = spawn("thread 2", Arc::clone(&b), Arc::clone(&a));
    let got = [t1.join().expect("no panic"), t2.join().expect("no panic")];
    if got == [false, false] {
        say("deadlock detected: thread 1 holds A wants B, thread 2 holds B wants A");
    }

    heading("The cure: everybody takes the locks in the same order");
    let handles: Vec<_> = ["thread 1", "thread 2"]
        .into_iter()
        .map(|name| {
            let (a, b) = (Arc::clone(&a), Arc::clone(&b));
            thread::spawn(move || {
                for _ in 0..1000 {
                    // Always A before B: nobody can hold B while waiting for A.
                    let first = a.lock();
                    let second = b.lock();
                    drop((second, first));
                }
                println!("[{name}] took A then B 1000 times");
            })
        })
        .collect();
    handles
        .into_iter()
        .for_each(|h| h.join().expect("no panic"));
    say("lock ordering: no deadlock, both threads finished");
    say("Other cures: one lock instead of two, try_lock and back off, hold locks briefly.");
}
