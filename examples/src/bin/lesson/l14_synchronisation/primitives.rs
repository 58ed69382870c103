//! Python's `threading.Event` and `threading.Semaphore`, each a mutex and a
//! condition variable: the usual way to build "wait until ..." in Rust.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// A flag threads can wait for: `set` releases every waiter, `clear` re-arms it.
#[derive(Default)]
pub struct Event {
    flag: Mutex<bool>,
    changed: Condvar,
}

impl Event {
    /// A cleared event.
    pub fn new() -> Event {
        Event::default()
    }

    /// Sets the flag and wakes every thread waiting for it (`e.set()`).
    pub fn set(&self) {
        *self.flag.lock().expect("not poisoned") = true;
        self.changed.notify_all();
    }

    /// Clears the flag: later `wait` calls block again (`e.clear()`).
    pub fn clear(&self) {
        *self.flag.lock().expect("not poisoned") = false;
    }

    /// Is the flag set (`e.is_set()`)?
    pub fn is_set(&self) -> bool {
        *self.flag.lock().expect("not poisoned")
    }

    /// Blocks until the flag is set or `timeout` passes; returns the flag
    /// (`e.wait(timeout)`).
    pub fn wait(&self, timeout: Duration) -> bool {
        let guard = self.flag.lock().expect("not poisoned");
        // wait_timeout_while re-checks the flag after every wake-up, so a
        // spurious wake-up cannot release a waiter early.
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |set| !*set)
            .expect("not poisoned");
        *guard
    }
}

/// A counting semaphore (信号量): at most `permits` holders at once.
pub struct Semaphore {
    permits: Mutex<usize>,
    released: Condvar,
}

impl Semaphore {
    /// A semaphore with `permits` free permits (`Semaphore(n)`).
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            permits: Mutex::new(permits),
            released: Condvar::new(),
        }
    }

    /// Takes a permit, blocking while there is none (`sem.acquire()`).
    pub fn acquire(&self) {
        let guard = self.permits.lock().expect("not poisoned");
        let mut guard = self
            .released
            .wait_while(guard, |free| *free == 0)
            .expect("not poisoned");
        *guard -= 1;
    }

    /// Gives a permit back and wakes one waiter (`sem.release()`).
    pub fn release(&self) {
        *self.permits.lock().expect("not poisoned") += 1;
        self.released.notify_one();
    }

    /// Free permits now (`sem.get_value()`).
    pub fn value(&self) -> usize {
        *self.permits.lock().expect("not poisoned")
    }
}
