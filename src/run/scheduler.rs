//! Runs the work of a chain of images in dependency order, independent images at the same
//! time, at most `jobs` at once. When an image fails before the images built on it could
//! start, they are skipped and every other image goes on; a job that panics fails its image
//! alone.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::run::graph::DependencyGraph;
use crate::tree::ImageId;

/// The work of one image.
pub trait Job: Sync {
    type Error: Send;

    /// Does everything for `image`. Calls `release` once the images built on it may start
    /// (after it is built and verified, say, while it is still being pushed); if it never
    /// does, they start when `run` returns `Ok`.
    fn run(&self, image: ImageId, release: &dyn Fn()) -> Result<(), Self::Error>;

    /// Whether `image` can be worked on at all, asked of every image of the chain before any
    /// starts: an image that cannot fails with its own reason, whatever happens to those it
    /// is built on, and the images built on it are skipped.
    fn check(&self, _image: ImageId) -> Result<(), Self::Error> {
        Ok(())
    }

    /// The failure of an image whose work panicked with `message`.
    fn panicked(&self, image: ImageId, message: String) -> Self::Error;

    /// Whether images not yet started should stay so (the run is being interrupted).
    fn stopping(&self) -> bool {
        false
    }
}

/// What happened to one image of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome<E> {
    Succeeded,
    Failed(E),
    /// Not started because `failed_dependency`, an image it is built on (directly or not),
    /// failed.
    Skipped {
        failed_dependency: ImageId,
    },
    /// Not started because the run was interrupted.
    NotStarted,
}

/// Each image of a chain with its outcome, in chain order.
pub type Outcomes<E> = Vec<(ImageId, JobOutcome<E>)>;

/// What the scheduler tells an observer (a progress display, a test), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a, E> {
    Started(ImageId),
    Released(ImageId),
    Finished(ImageId, &'a JobOutcome<E>),
}

enum Message<E> {
    Released(ImageId),
    Finished(ImageId, Result<(), E>),
}

/// Runs `job` for every image of `chain` (which lists each image after its dependencies)
/// and returns each image's outcome, in chain order.
pub fn run<J: Job>(
    chain: &[ImageId],
    graph: &DependencyGraph,
    jobs: usize,
    job: &J,
    observe: &(dyn Fn(&Event<'_, J::Error>) + Sync),
) -> Outcomes<J::Error> {
    let mut state = Schedule::new(chain, graph);
    for &image in chain {
        if let Err(error) = job.check(image) {
            state.fail_before_start(image, error, graph, observe);
        }
    }
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        loop {
            while !job.stopping()
                && state.running < jobs.max(1)
                && let Some(image) = state.next_ready()
            {
                observe(&Event::Started(image));
                let sender = sender.clone();
                scope.spawn(move || run_one(job, image, &sender));
            }
            if state.in_flight == 0 {
                break;
            }
            let Ok(message) = receiver.recv() else { break };
            state.handle(message, graph, observe);
        }
    });
    chain
        .iter()
        .map(|&image| {
            let outcome = state.outcomes.remove(&image);
            (image, outcome.unwrap_or(JobOutcome::NotStarted))
        })
        .collect()
}

fn run_one<J: Job>(job: &J, image: ImageId, sender: &mpsc::Sender<Message<J::Error>>) {
    let released = AtomicBool::new(false);
    let release = || {
        if !released.swap(true, Ordering::SeqCst) {
            let _ = sender.send(Message::Released(image));
        }
    };
    let result = catch_unwind(AssertUnwindSafe(|| job.run(image, &release)))
        .unwrap_or_else(|panic| Err(job.panicked(image, panic_message(panic.as_ref()))));
    let _ = sender.send(Message::Finished(image, result));
}

/// The text a panic was raised with.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// The order in which ready images start: the longest chain of images waiting on it first
/// (what is left of the critical path), then chain order.
type Rank = (Reverse<usize>, usize);

/// Each image's rank: the number of images on the longest chain from it to the end (it
/// included), computed from the last image of `chain` back.
fn ranks(
    chain: &[ImageId],
    graph: &DependencyGraph,
    position: &HashMap<ImageId, usize>,
) -> HashMap<ImageId, Rank> {
    let mut height: HashMap<ImageId, usize> = HashMap::with_capacity(chain.len());
    for &image in chain.iter().rev() {
        let below = graph
            .dependents(image)
            .iter()
            .filter_map(|d| height.get(d))
            .max()
            .copied()
            .unwrap_or(0);
        height.insert(image, below + 1);
    }
    height
        .into_iter()
        .map(|(image, h)| (image, (Reverse(h), position[&image])))
        .collect()
}

/// The scheduler's book-keeping, kept apart from the threads.
struct Schedule<E> {
    /// Position of each image in the chain.
    position: HashMap<ImageId, usize>,
    rank: HashMap<ImageId, Rank>,
    /// Dependencies in the chain not yet released, per image.
    waiting: HashMap<ImageId, usize>,
    ready: BTreeSet<(Rank, ImageId)>,
    released: BTreeSet<ImageId>,
    /// Started and not released: each holds one of the `jobs` slots.
    running: usize,
    /// Started and not finished.
    in_flight: usize,
    outcomes: HashMap<ImageId, JobOutcome<E>>,
}

impl<E> Schedule<E> {
    fn new(chain: &[ImageId], graph: &DependencyGraph) -> Schedule<E> {
        let position: HashMap<ImageId, usize> =
            chain.iter().enumerate().map(|(p, &i)| (i, p)).collect();
        let waiting: HashMap<ImageId, usize> = chain
            .iter()
            .map(|&image| {
                let deps = graph.dependencies(image);
                (
                    image,
                    deps.iter().filter(|d| position.contains_key(d)).count(),
                )
            })
            .collect();
        let rank = ranks(chain, graph, &position);
        let ready = waiting
            .iter()
            .filter(|&(_, &n)| n == 0)
            .map(|(&image, _)| (rank[&image], image))
            .collect();
        Schedule {
            position,
            rank,
            waiting,
            ready,
            released: BTreeSet::new(),
            running: 0,
            in_flight: 0,
            outcomes: HashMap::new(),
        }
    }

    /// Books `image` as failed without starting it.
    fn fail_before_start(
        &mut self,
        image: ImageId,
        error: E,
        graph: &DependencyGraph,
        observe: &(dyn Fn(&Event<'_, E>) + Sync),
    ) {
        self.ready.remove(&(self.rank[&image], image));
        let outcome = JobOutcome::Failed(error);
        observe(&Event::Finished(image, &outcome));
        self.outcomes.insert(image, outcome);
        self.skip_dependents(image, graph, observe);
    }

    fn next_ready(&mut self) -> Option<ImageId> {
        let (_, image) = self.ready.pop_first()?;
        self.running += 1;
        self.in_flight += 1;
        Some(image)
    }

    /// Books `message` and tells `observe` what it means.
    fn handle(
        &mut self,
        message: Message<E>,
        graph: &DependencyGraph,
        observe: &(dyn Fn(&Event<'_, E>) + Sync),
    ) {
        match message {
            Message::Released(image) => {
                // What comes after the release (a push, say) does not hold a slot.
                self.running -= 1;
                self.release(image, graph);
                observe(&Event::Released(image));
            }
            Message::Finished(image, result) => {
                self.in_flight -= 1;
                let held_a_slot = !self.released.contains(&image);
                let outcome = match result {
                    Ok(()) => JobOutcome::Succeeded,
                    Err(error) => JobOutcome::Failed(error),
                };
                let succeeded = matches!(outcome, JobOutcome::Succeeded);
                observe(&Event::Finished(image, &outcome));
                self.outcomes.insert(image, outcome);
                if held_a_slot {
                    self.running -= 1;
                    if succeeded {
                        self.release(image, graph);
                        observe(&Event::Released(image));
                    } else {
                        self.skip_dependents(image, graph, observe);
                    }
                }
            }
        }
    }

    fn release(&mut self, image: ImageId, graph: &DependencyGraph) {
        self.released.insert(image);
        for &dependent in graph.dependents(image) {
            let Some(waiting) = self.waiting.get_mut(&dependent) else {
                continue;
            };
            *waiting -= 1;
            if *waiting == 0 {
                self.ready.insert((self.rank[&dependent], dependent));
            }
        }
    }

    /// Every image of the chain built on `failed`, directly or not.
    fn skip_dependents(
        &mut self,
        failed: ImageId,
        graph: &DependencyGraph,
        observe: &(dyn Fn(&Event<'_, E>) + Sync),
    ) {
        let mut stack = graph.dependents(failed).to_vec();
        while let Some(image) = stack.pop() {
            if !self.position.contains_key(&image) || self.outcomes.contains_key(&image) {
                continue;
            }
            self.ready.remove(&(self.rank[&image], image));
            let outcome = JobOutcome::Skipped {
                failed_dependency: failed,
            };
            observe(&Event::Finished(image, &outcome));
            self.outcomes.insert(image, outcome);
            stack.extend_from_slice(graph.dependents(image));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Condvar, Mutex};

    use super::*;
    use crate::tree::{ImageTree, test_tree};

    const A: ImageId = ImageId::nth(0);
    const B: ImageId = ImageId::nth(1);
    const C: ImageId = ImageId::nth(2);
    const D: ImageId = ImageId::nth(3);

    fn graph(images: &[(&str, &[&str])]) -> (ImageTree, DependencyGraph) {
        let tree = test_tree(images);
        let graph = DependencyGraph::new(&tree, &[]).unwrap();
        (tree, graph)
    }

    /// A job whose images fail when named in `failing`, recording what ran.
    struct Scripted<'a> {
        tree: &'a ImageTree,
        failing: &'a [&'a str],
        panicking: &'a [&'a str],
        release_early: bool,
        ran: Mutex<Vec<String>>,
    }

    impl<'a> Scripted<'a> {
        fn new(tree: &'a ImageTree, failing: &'a [&'a str], release_early: bool) -> Self {
            Scripted {
                tree,
                failing,
                panicking: &[],
                release_early,
                ran: Mutex::new(Vec::new()),
            }
        }
    }

    impl Job for Scripted<'_> {
        type Error = String;

        fn panicked(&self, _: ImageId, message: String) -> String {
            message
        }

        fn run(&self, image: ImageId, release: &dyn Fn()) -> Result<(), String> {
            let name = self.tree.get(image).name().to_owned();
            self.ran.lock().unwrap().push(name.clone());
            if self.failing.contains(&name.as_str()) {
                return Err(format!("{name} broke"));
            }
            if self.panicking.contains(&name.as_str()) {
                panic!("{name} panicked");
            }
            if self.release_early {
                release();
            }
            Ok(())
        }
    }

    /// What an observer saw, without the outcomes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Seen {
        Started(ImageId),
        Released(ImageId),
        Finished(ImageId),
    }

    fn seen<E>(event: &Event<'_, E>) -> Seen {
        match event {
            Event::Started(i) => Seen::Started(*i),
            Event::Released(i) => Seen::Released(*i),
            Event::Finished(i, _) => Seen::Finished(*i),
        }
    }

    type Named = (String, JobOutcome<String>);

    fn names(tree: &ImageTree, outcomes: &[(ImageId, JobOutcome<String>)]) -> Vec<Named> {
        outcomes
            .iter()
            .map(|(i, o)| (tree.get(*i).name().to_owned(), o.clone()))
            .collect()
    }

    #[test]
    fn a_failure_skips_the_images_built_on_it_only() {
        let (tree, graph) = graph(&[
            ("base", &[]),
            ("broken", &["base"]),
            ("child", &["broken"]),
            ("grandchild", &["child"]),
            ("sibling", &["base"]),
        ]);
        let job = Scripted::new(&tree, &["broken"], false);
        let outcomes = run(graph.order(), &graph, 2, &job, &|_| {});
        let broken = tree.find("broken").unwrap();
        assert_eq!(
            names(&tree, &outcomes),
            [
                ("base".to_owned(), JobOutcome::Succeeded),
                (
                    "broken".to_owned(),
                    JobOutcome::Failed("broken broke".into())
                ),
                (
                    "child".to_owned(),
                    JobOutcome::Skipped {
                        failed_dependency: broken
                    }
                ),
                (
                    "grandchild".to_owned(),
                    JobOutcome::Skipped {
                        failed_dependency: broken
                    }
                ),
                ("sibling".to_owned(), JobOutcome::Succeeded),
            ]
        );
        let mut ran = job.ran.into_inner().unwrap();
        ran.sort();
        assert_eq!(ran, ["base", "broken", "sibling"]);
    }

    #[test]
    fn dependencies_finish_first_whatever_the_jobs() {
        let (tree, graph) = graph(&[("a", &[]), ("b", &["a"]), ("c", &["a"]), ("d", &["b", "c"])]);
        for jobs in [1, 2, 8] {
            let events = Mutex::new(Vec::new());
            let job = Scripted::new(&tree, &[], true);
            let outcomes = run(graph.order(), &graph, jobs, &job, &|e| {
                events.lock().unwrap().push(seen(e))
            });
            assert!(outcomes.iter().all(|(_, o)| *o == JobOutcome::Succeeded));
            let events = events.into_inner().unwrap();
            let at = |wanted: Seen| events.iter().position(|e| *e == wanted).unwrap();
            assert!(at(Seen::Released(A)) < at(Seen::Started(B)));
            assert!(at(Seen::Released(A)) < at(Seen::Started(C)));
            assert!(at(Seen::Released(B)) < at(Seen::Started(D)));
            assert!(at(Seen::Released(C)) < at(Seen::Started(D)));
        }
    }

    /// Each of two independent images waits, inside its job, until the other has started:
    /// the run can only end if both run at the same time.
    #[test]
    fn independent_images_run_at_the_same_time() {
        struct Rendezvous {
            started: Mutex<usize>,
            both: Condvar,
        }
        impl Job for Rendezvous {
            type Error = String;

            fn panicked(&self, _: ImageId, message: String) -> String {
                message
            }

            fn run(&self, _: ImageId, _: &dyn Fn()) -> Result<(), String> {
                let mut started = self.started.lock().unwrap();
                *started += 1;
                self.both.notify_all();
                while *started < 2 {
                    started = self.both.wait(started).unwrap();
                }
                Ok(())
            }
        }
        let (_, graph) = graph(&[("left", &[]), ("right", &[])]);
        let job = Rendezvous {
            started: Mutex::new(0),
            both: Condvar::new(),
        };
        let events = Mutex::new(Vec::new());
        let outcomes = run(graph.order(), &graph, 2, &job, &|e| {
            events.lock().unwrap().push(seen(e))
        });
        assert!(outcomes.iter().all(|(_, o)| *o == JobOutcome::Succeeded));
        let events = events.into_inner().unwrap();
        assert_eq!(&events[..2], [Seen::Started(A), Seen::Started(B)]);
    }

    /// With one slot, the first image releases it and then waits, inside its job, for the
    /// second to start: that only happens if a release frees the slot.
    #[test]
    fn a_released_image_frees_its_slot() {
        struct Handover {
            second_started: Mutex<bool>,
            started: Condvar,
        }
        impl Job for Handover {
            type Error = String;

            fn panicked(&self, _: ImageId, message: String) -> String {
                message
            }

            fn run(&self, image: ImageId, release: &dyn Fn()) -> Result<(), String> {
                let mut second_started = self.second_started.lock().unwrap();
                if image == B {
                    *second_started = true;
                    self.started.notify_all();
                    return Ok(());
                }
                release();
                let deadline = std::time::Duration::from_secs(30);
                let (started, _) = self
                    .started
                    .wait_timeout_while(second_started, deadline, |started| !*started)
                    .unwrap();
                if *started {
                    Ok(())
                } else {
                    Err("the second image never started".into())
                }
            }
        }
        let (_, graph) = graph(&[("first", &[]), ("second", &[])]);
        let job = Handover {
            second_started: Mutex::new(false),
            started: Condvar::new(),
        };
        let outcomes = run(graph.order(), &graph, 1, &job, &|_| {});
        assert_eq!(
            outcomes,
            [(A, JobOutcome::Succeeded), (B, JobOutcome::Succeeded)]
        );
    }

    /// With one slot, of two ready images the one with the longer chain waiting on it goes
    /// first, whatever the chain order.
    #[test]
    fn the_longest_chain_starts_first() {
        let (tree, graph) = graph(&[
            ("short", &[]),
            ("long", &[]),
            ("long-2", &["long"]),
            ("long-3", &["long-2"]),
        ]);
        let job = Scripted::new(&tree, &[], false);
        run(graph.order(), &graph, 1, &job, &|_| {});
        assert_eq!(
            job.ran.into_inner().unwrap(),
            ["long", "long-2", "short", "long-3"]
        );
    }

    #[test]
    fn images_outside_the_chain_are_not_waited_for() {
        let (tree, graph) = graph(&[("published", &[]), ("app", &["published"])]);
        let app = tree.find("app").unwrap();
        let job = Scripted::new(&tree, &[], false);
        let outcomes = run(&[app], &graph, 1, &job, &|_| {});
        assert_eq!(outcomes, [(app, JobOutcome::Succeeded)]);
    }

    #[test]
    fn a_panic_fails_its_image_alone() {
        let (tree, graph) = graph(&[
            ("base", &[]),
            ("bad", &["base"]),
            ("child", &["bad"]),
            ("other", &[]),
        ]);
        let mut job = Scripted::new(&tree, &[], false);
        job.panicking = &["bad"];
        let outcomes = run(graph.order(), &graph, 2, &job, &|_| {});
        let bad = tree.find("bad").unwrap();
        assert_eq!(
            names(&tree, &outcomes),
            [
                ("base".to_owned(), JobOutcome::Succeeded),
                ("bad".to_owned(), JobOutcome::Failed("bad panicked".into())),
                (
                    "child".to_owned(),
                    JobOutcome::Skipped {
                        failed_dependency: bad
                    }
                ),
                ("other".to_owned(), JobOutcome::Succeeded),
            ]
        );
    }

    /// Once the job says the run is stopping, nothing new starts; what ran ends as it ends.
    #[test]
    fn nothing_starts_once_stopping() {
        struct StopAfterFirst(AtomicBool);
        impl Job for StopAfterFirst {
            type Error = String;

            fn panicked(&self, _: ImageId, message: String) -> String {
                message
            }

            fn run(&self, _: ImageId, _: &dyn Fn()) -> Result<(), String> {
                self.0.store(true, Ordering::SeqCst);
                Ok(())
            }

            fn stopping(&self) -> bool {
                self.0.load(Ordering::SeqCst)
            }
        }
        let (_, graph) = graph(&[("a", &[]), ("b", &["a"]), ("c", &[])]);
        let outcomes = run(
            graph.order(),
            &graph,
            1,
            &StopAfterFirst(AtomicBool::new(false)),
            &|_| {},
        );
        assert_eq!(
            outcomes,
            [
                (A, JobOutcome::Succeeded),
                (B, JobOutcome::NotStarted),
                (C, JobOutcome::NotStarted)
            ]
        );
    }

    /// Images that fail their check fail with their own reason, before anything starts;
    /// what is built on them is skipped, unless it fails its own check too.
    #[test]
    fn images_failing_their_check_fail_with_their_own_reason() {
        struct Checked;
        impl Job for Checked {
            type Error = String;

            fn panicked(&self, _: ImageId, message: String) -> String {
                message
            }

            fn check(&self, image: ImageId) -> Result<(), String> {
                match image {
                    A => Err("a cannot be checked".to_owned()),
                    C => Err("c cannot be checked".to_owned()),
                    _ => Ok(()),
                }
            }

            fn run(&self, image: ImageId, _: &dyn Fn()) -> Result<(), String> {
                assert!(image == D, "{image:?} started");
                Ok(())
            }
        }
        let (_, graph) = graph(&[("a", &[]), ("b", &["a"]), ("c", &["b"]), ("d", &[])]);
        let outcomes = run(graph.order(), &graph, 2, &Checked, &|_| {});
        assert_eq!(
            outcomes,
            [
                (A, JobOutcome::Failed("a cannot be checked".into())),
                (
                    B,
                    JobOutcome::Skipped {
                        failed_dependency: A
                    }
                ),
                (C, JobOutcome::Failed("c cannot be checked".into())),
                (D, JobOutcome::Succeeded),
            ]
        );
    }
}
