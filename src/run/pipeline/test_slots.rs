//! How many images may run their tests at once. A test does not hold a `--jobs` slot: the
//! image gives its slot back once built, since a test mostly waits (on a container's
//! start, its network, a script's own pauses), and another build may use the CPU
//! meanwhile. Tests have as many slots of their own, so that slow tests cannot pile up
//! behind fast builds.

use std::sync::{Condvar, Mutex, MutexGuard};

pub(super) struct TestSlots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// A slot taken, given back when dropped.
pub(super) struct TestSlot<'a>(&'a TestSlots);

impl TestSlots {
    pub(super) fn new(count: usize) -> TestSlots {
        TestSlots {
            free: Mutex::new(count.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Waits for a free slot and takes it.
    pub(super) fn take(&self) -> TestSlot<'_> {
        let mut free = self.lock();
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *free -= 1;
        TestSlot(self)
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        self.free
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for TestSlot<'_> {
    fn drop(&mut self) {
        *self.0.lock() += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::TestSlots;

    #[test]
    fn no_more_than_the_slots_hold_them_at_once() {
        let slots = TestSlots::new(2);
        let holding = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..6 {
                scope.spawn(|| {
                    let _slot = slots.take();
                    let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    holding.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(*slots.lock(), 2);
    }
}
