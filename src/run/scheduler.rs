//! Runs the work of a chain of images in dependency order, independent images at the same
//! time, at most `jobs` units of work at once. An image's work is one unit, or, for an image
//! with builds that may run side by side (one per platform), a unit that prepares them, a
//! unit per build, and a unit for the rest once every build is done. When an image fails
//! before the images built on it could start, they are skipped and every other image goes
//! on; a unit that panics fails its image alone.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::run::graph::DependencyGraph;
use crate::tree::ImageId;

/// The work of one image.
pub trait Job: Sync {
    type Error: Send;
    /// One of an image's builds that may run side by side with the others (a platform).
    type Build: Send + Sync;

    /// Does everything for `image`, or what is left after its builds, telling `milestones`
    /// when its slot may go to another unit and when the images built on it may start; if
    /// it never releases them, they start when `run` returns `Ok`.
    fn run(&self, image: ImageId, milestones: &dyn Milestones) -> Result<(), Self::Error>;

    /// What comes before the builds of `image`, which it gives: each is then a unit of work
    /// of its own, and `run` does the rest once they all succeeded. None (the default):
    /// `run` does all of the image's work, in the slot of this unit.
    fn prepare(&self, _image: ImageId) -> Result<Vec<Self::Build>, Self::Error> {
        Ok(Vec::new())
    }

    /// One build of `image` that [`prepare`](Job::prepare) gave.
    fn build(&self, _image: ImageId, _build: &Self::Build) -> Result<(), Self::Error> {
        Ok(())
    }

    /// How long the work of `image` takes beside that of others, for the longest chain of
    /// work to start first: 1 (the default) for each image alike.
    fn weight(&self, _image: ImageId) -> usize {
        1
    }

    /// Whether `image` can be worked on at all, asked of every image of the chain before any
    /// starts: an image that cannot fails with its own reason, whatever happens to those it
    /// is built on, and the images built on it are skipped.
    fn check(&self, _image: ImageId) -> Result<(), Self::Error> {
        Ok(())
    }

    /// The failure of an image whose work panicked with `message`.
    fn panicked(&self, image: ImageId, message: String) -> Self::Error;

    /// Whether images not yet started should stay so (the run is being interrupted). The
    /// units of an image already started still start: its work ends as it would have,
    /// failing where it can no longer go on.
    fn stopping(&self) -> bool {
        false
    }
}

/// What a job tells the scheduler while the work of its image goes on.
pub trait Milestones {
    /// The image needs its slot no more: another unit may start while what is left of its
    /// work (a test that mostly waits, a push) goes on, limited by the job itself.
    fn free_slot(&self);
    /// The images built on it may start (it is built and verified, say, while it is still
    /// being pushed); frees its slot too.
    fn release(&self);
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

/// A unit of work, run in a slot of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    /// The start of an image's work: [`Job::prepare`], then [`Job::run`] when it gave no
    /// builds.
    Start(ImageId),
    /// The next of an image's builds not yet started.
    Build(ImageId),
    /// What follows an image's builds: [`Job::run`].
    Rest(ImageId),
}

/// A unit taken to start, with the build it runs.
enum Work<B> {
    Start(ImageId),
    Build(ImageId, B),
    Rest(ImageId),
}

enum Message<E, B> {
    /// A start gave builds, and ended.
    Prepared(ImageId, Vec<B>),
    /// One build ended.
    Built(ImageId, Result<(), E>),
    SlotFreed(ImageId),
    Released(ImageId),
    /// The image's work ended.
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
    let mut state = Schedule::new(chain, graph, &|image| job.weight(image));
    for &image in chain {
        if let Err(error) = job.check(image) {
            state.fail_before_start(image, error, graph, observe);
        }
    }
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        loop {
            while state.running < jobs.max(1)
                && let Some(work) = state.next_ready(job.stopping())
            {
                let sender = sender.clone();
                match work {
                    Work::Start(image) => {
                        observe(&Event::Started(image));
                        scope.spawn(move || start(job, image, &sender));
                    }
                    Work::Build(image, build) => {
                        scope.spawn(move || build_one(job, image, build, &sender));
                    }
                    Work::Rest(image) => {
                        scope.spawn(move || run_one(job, image, &sender));
                    }
                }
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

type Sender<J> = mpsc::Sender<Message<<J as Job>::Error, <J as Job>::Build>>;

/// Prepares `image`, then runs it when it has no builds.
fn start<J: Job>(job: &J, image: ImageId, sender: &Sender<J>) {
    match guarded(job, image, || job.prepare(image)) {
        Ok(builds) if builds.is_empty() => run_one(job, image, sender),
        Ok(builds) => {
            let _ = sender.send(Message::Prepared(image, builds));
        }
        Err(error) => {
            let _ = sender.send(Message::Finished(image, Err(error)));
        }
    }
}

fn build_one<J: Job>(job: &J, image: ImageId, build: J::Build, sender: &Sender<J>) {
    let result = guarded(job, image, || job.build(image, &build));
    let _ = sender.send(Message::Built(image, result));
}

fn run_one<J: Job>(job: &J, image: ImageId, sender: &Sender<J>) {
    let milestones = Reached {
        image,
        sender,
        slot_freed: AtomicBool::new(false),
        released: AtomicBool::new(false),
    };
    let result = guarded(job, image, || job.run(image, &milestones));
    let _ = sender.send(Message::Finished(image, result));
}

/// The milestones of one image's work, each told to the scheduler once.
struct Reached<'s, E, B> {
    image: ImageId,
    sender: &'s mpsc::Sender<Message<E, B>>,
    slot_freed: AtomicBool,
    released: AtomicBool,
}

impl<E, B> Milestones for Reached<'_, E, B> {
    fn free_slot(&self) {
        // A released image's slot is free already.
        if self.released.load(Ordering::SeqCst) {
            return;
        }
        if !self.slot_freed.swap(true, Ordering::SeqCst) {
            let _ = self.sender.send(Message::SlotFreed(self.image));
        }
    }

    fn release(&self) {
        if !self.released.swap(true, Ordering::SeqCst) {
            let _ = self.sender.send(Message::Released(self.image));
        }
    }
}

/// What `work` gave, or the failure of `image` when it panicked.
fn guarded<J: Job, T>(
    job: &J,
    image: ImageId,
    work: impl FnOnce() -> Result<T, J::Error>,
) -> Result<T, J::Error> {
    catch_unwind(AssertUnwindSafe(work))
        .unwrap_or_else(|panic| Err(job.panicked(image, panic_message(panic.as_ref()))))
}

/// The text a panic was raised with.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// The order in which ready units start: the heaviest chain of work waiting on their image
/// first (what is left of the critical path), then chain order.
type Rank = (Reverse<usize>, usize);

/// Each image's rank: the weight of the heaviest chain from it to the end (it included),
/// computed from the last image of `chain` back.
fn ranks(
    chain: &[ImageId],
    graph: &DependencyGraph,
    position: &HashMap<ImageId, usize>,
    weight: &dyn Fn(ImageId) -> usize,
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
        height.insert(image, below + weight(image));
    }
    height
        .into_iter()
        .map(|(image, h)| (image, (Reverse(h), position[&image])))
        .collect()
}

/// The builds of an image under way.
struct Builds<B, E> {
    waiting: VecDeque<B>,
    running: usize,
    /// The first that failed; the others waiting then never start.
    failed: Option<E>,
}

/// The scheduler's book-keeping, kept apart from the threads.
struct Schedule<E, B> {
    /// Position of each image in the chain.
    position: HashMap<ImageId, usize>,
    rank: HashMap<ImageId, Rank>,
    /// Dependencies in the chain not yet released, per image.
    waiting: HashMap<ImageId, usize>,
    ready: BTreeSet<(Rank, Unit)>,
    builds: HashMap<ImageId, Builds<B, E>>,
    released: BTreeSet<ImageId>,
    /// Started images whose work gave its slot back before their release.
    slot_freed: BTreeSet<ImageId>,
    /// Units started that hold one of the `jobs` slots: not finished, released or freed.
    running: usize,
    /// Started and not finished.
    in_flight: usize,
    outcomes: HashMap<ImageId, JobOutcome<E>>,
}

impl<E, B> Schedule<E, B> {
    fn new(
        chain: &[ImageId],
        graph: &DependencyGraph,
        weight: &dyn Fn(ImageId) -> usize,
    ) -> Schedule<E, B> {
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
        let rank = ranks(chain, graph, &position, weight);
        let ready = waiting
            .iter()
            .filter(|&(_, &n)| n == 0)
            .map(|(&image, _)| (rank[&image], Unit::Start(image)))
            .collect();
        Schedule {
            position,
            rank,
            waiting,
            ready,
            builds: HashMap::new(),
            released: BTreeSet::new(),
            slot_freed: BTreeSet::new(),
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
        self.ready.remove(&(self.rank[&image], Unit::Start(image)));
        self.finish(image, JobOutcome::Failed(error), graph, observe);
    }

    /// The next unit to start, taking a slot: when `stopping`, only units of images already
    /// started.
    fn next_ready(&mut self, stopping: bool) -> Option<Work<B>> {
        loop {
            let next = *self
                .ready
                .iter()
                .find(|(_, unit)| !stopping || !matches!(unit, Unit::Start(_)))?;
            self.ready.remove(&next);
            let work = match next.1 {
                Unit::Start(image) => Work::Start(image),
                Unit::Rest(image) => Work::Rest(image),
                Unit::Build(image) => match self.take_build(image) {
                    Some(build) => Work::Build(image, build),
                    None => continue,
                },
            };
            self.running += 1;
            self.in_flight += 1;
            return Some(work);
        }
    }

    /// The next build of `image` waiting; the unit of the one after it is ready in turn.
    fn take_build(&mut self, image: ImageId) -> Option<B> {
        let builds = self.builds.get_mut(&image)?;
        let build = builds.waiting.pop_front()?;
        builds.running += 1;
        if !builds.waiting.is_empty() {
            self.ready.insert((self.rank[&image], Unit::Build(image)));
        }
        Some(build)
    }

    /// Books `message` and tells `observe` what it means.
    fn handle(
        &mut self,
        message: Message<E, B>,
        graph: &DependencyGraph,
        observe: &(dyn Fn(&Event<'_, E>) + Sync),
    ) {
        match message {
            Message::Prepared(image, builds) => {
                self.in_flight -= 1;
                self.running -= 1;
                self.builds.insert(
                    image,
                    Builds {
                        waiting: builds.into(),
                        running: 0,
                        failed: None,
                    },
                );
                self.ready.insert((self.rank[&image], Unit::Build(image)));
            }
            Message::Built(image, result) => {
                self.in_flight -= 1;
                self.running -= 1;
                self.built(image, result, graph, observe);
            }
            Message::SlotFreed(image) => {
                self.running -= 1;
                self.slot_freed.insert(image);
            }
            Message::Released(image) => {
                // What comes after the release (a push, say) does not hold a slot.
                if !self.slot_freed.contains(&image) {
                    self.running -= 1;
                }
                self.release(image, graph);
                observe(&Event::Released(image));
            }
            Message::Finished(image, result) => {
                self.in_flight -= 1;
                let released = self.released.contains(&image);
                if !released && !self.slot_freed.contains(&image) {
                    self.running -= 1;
                }
                let outcome = match result {
                    Ok(()) => JobOutcome::Succeeded,
                    Err(error) => JobOutcome::Failed(error),
                };
                let succeeded = matches!(outcome, JobOutcome::Succeeded);
                observe(&Event::Finished(image, &outcome));
                self.outcomes.insert(image, outcome);
                if !released {
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

    /// Books the end of one build of `image`: once none is left running, the rest of its
    /// work is ready if they all succeeded, and it fails with the first failure otherwise.
    fn built(
        &mut self,
        image: ImageId,
        result: Result<(), E>,
        graph: &DependencyGraph,
        observe: &(dyn Fn(&Event<'_, E>) + Sync),
    ) {
        let Some(builds) = self.builds.get_mut(&image) else {
            return;
        };
        builds.running -= 1;
        if let Err(error) = result
            && builds.failed.is_none()
        {
            builds.failed = Some(error);
            builds.waiting.clear();
            self.ready.remove(&(self.rank[&image], Unit::Build(image)));
        }
        if builds.running > 0 || !builds.waiting.is_empty() {
            return;
        }
        match self.builds.remove(&image).and_then(|builds| builds.failed) {
            Some(error) => self.finish(image, JobOutcome::Failed(error), graph, observe),
            None => {
                self.ready.insert((self.rank[&image], Unit::Rest(image)));
            }
        }
    }

    /// Books the outcome of `image`, whose work is over; what is built on it is skipped
    /// unless it succeeded.
    fn finish(
        &mut self,
        image: ImageId,
        outcome: JobOutcome<E>,
        graph: &DependencyGraph,
        observe: &(dyn Fn(&Event<'_, E>) + Sync),
    ) {
        let succeeded = matches!(outcome, JobOutcome::Succeeded);
        observe(&Event::Finished(image, &outcome));
        self.outcomes.insert(image, outcome);
        if !succeeded {
            self.skip_dependents(image, graph, observe);
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
                self.ready
                    .insert((self.rank[&dependent], Unit::Start(dependent)));
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
            self.ready.remove(&(self.rank[&image], Unit::Start(image)));
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
        type Build = ();

        fn panicked(&self, _: ImageId, message: String) -> String {
            message
        }

        fn run(&self, image: ImageId, milestones: &dyn Milestones) -> Result<(), String> {
            let name = self.tree.get(image).name().to_owned();
            self.ran.lock().unwrap().push(name.clone());
            if self.failing.contains(&name.as_str()) {
                return Err(format!("{name} broke"));
            }
            if self.panicking.contains(&name.as_str()) {
                panic!("{name} panicked");
            }
            if self.release_early {
                milestones.release();
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
            type Build = ();

            fn panicked(&self, _: ImageId, message: String) -> String {
                message
            }

            fn run(&self, _: ImageId, _: &dyn Milestones) -> Result<(), String> {
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

    /// The first image reaches a milestone (`reach`), then waits, inside its job, for
    /// another image to start; the others start and end at once.
    struct Handover {
        reach: fn(&dyn Milestones),
        other_started: Mutex<bool>,
        started: Condvar,
    }

    impl Handover {
        fn new(reach: fn(&dyn Milestones)) -> Handover {
            Handover {
                reach,
                other_started: Mutex::new(false),
                started: Condvar::new(),
            }
        }
    }

    impl Job for Handover {
        type Error = String;
        type Build = ();

        fn panicked(&self, _: ImageId, message: String) -> String {
            message
        }

        fn run(&self, image: ImageId, milestones: &dyn Milestones) -> Result<(), String> {
            let mut other_started = self.other_started.lock().unwrap();
            if image != A {
                *other_started = true;
                self.started.notify_all();
                return Ok(());
            }
            (self.reach)(milestones);
            let deadline = std::time::Duration::from_secs(30);
            let (started, _) = self
                .started
                .wait_timeout_while(other_started, deadline, |started| !*started)
                .unwrap();
            match *started {
                true => Ok(()),
                false => Err("the second image never started".into()),
            }
        }
    }

    /// With one slot, the first image releases it and then waits for the second to start:
    /// that only happens if a release frees the slot.
    #[test]
    fn a_released_image_frees_its_slot() {
        let (_, graph) = graph(&[("first", &[]), ("second", &[])]);
        let job = Handover::new(|milestones| milestones.release());
        let outcomes = run(graph.order(), &graph, 1, &job, &|_| {});
        assert_eq!(
            outcomes,
            [(A, JobOutcome::Succeeded), (B, JobOutcome::Succeeded)]
        );
    }

    /// With one slot, an image that frees its slot and then waits for another to start lets
    /// that one start; the image built on it still waits for its release (here, its end).
    #[test]
    fn a_freed_slot_starts_another_image_but_not_a_dependent() {
        let (_, graph) = graph(&[("first", &[]), ("second", &[]), ("third", &["first"])]);
        let job = Handover::new(|milestones| milestones.free_slot());
        let events = Mutex::new(Vec::new());
        let outcomes = run(graph.order(), &graph, 1, &job, &|e| {
            events.lock().unwrap().push(seen(e))
        });
        assert!(outcomes.iter().all(|(_, o)| *o == JobOutcome::Succeeded));
        let events = events.into_inner().unwrap();
        let at = |event| events.iter().position(|e| *e == event).unwrap();
        assert!(at(Seen::Started(B)) < at(Seen::Released(A)), "{events:?}");
        assert!(at(Seen::Released(A)) < at(Seen::Started(C)), "{events:?}");
    }

    /// Freeing the slot of an image already released gives nothing back a second time:
    /// with one slot, never two images at once.
    #[test]
    fn freeing_after_the_release_frees_nothing_more() {
        struct Late {
            running: Mutex<(usize, usize)>,
        }
        impl Job for Late {
            type Error = String;
            type Build = ();

            fn panicked(&self, _: ImageId, message: String) -> String {
                message
            }

            fn run(&self, _: ImageId, milestones: &dyn Milestones) -> Result<(), String> {
                {
                    let mut running = self.running.lock().unwrap();
                    running.0 += 1;
                    running.1 = running.1.max(running.0);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
                self.running.lock().unwrap().0 -= 1;
                milestones.release();
                milestones.free_slot();
                Ok(())
            }
        }
        let (_, graph) = graph(&[("a", &[]), ("b", &[]), ("c", &[]), ("d", &[])]);
        let job = Late {
            running: Mutex::new((0, 0)),
        };
        let outcomes = run(graph.order(), &graph, 1, &job, &|_| {});
        assert!(outcomes.iter().all(|(_, o)| *o == JobOutcome::Succeeded));
        assert_eq!(job.running.lock().unwrap().1, 1);
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
            type Build = ();

            fn panicked(&self, _: ImageId, message: String) -> String {
                message
            }

            fn run(&self, _: ImageId, _: &dyn Milestones) -> Result<(), String> {
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
            type Build = ();

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

            fn run(&self, image: ImageId, _: &dyn Milestones) -> Result<(), String> {
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

    /// A job whose images have the builds `builds` names, counting the units under way and
    /// recording the builds and rests run; a build named in `failing` fails, and each build
    /// waits for `company` at most for two builds to have been under way at once.
    struct Platforms<'a> {
        builds: &'a [(ImageId, &'a [&'static str])],
        failing: &'a [&'static str],
        company: Option<std::time::Duration>,
        units: crate::run::fakes::Gauge,
        building: crate::run::fakes::Gauge,
        log: Mutex<Vec<String>>,
        weights: &'a [(ImageId, usize)],
    }

    impl<'a> Platforms<'a> {
        fn new(builds: &'a [(ImageId, &'a [&'static str])]) -> Self {
            Platforms {
                builds,
                failing: &[],
                company: None,
                units: Default::default(),
                building: Default::default(),
                log: Mutex::new(Vec::new()),
                weights: &[],
            }
        }

        fn note(&self, line: String) {
            self.log.lock().unwrap().push(line);
        }

        fn log(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }
    }

    impl Job for Platforms<'_> {
        type Error = String;
        type Build = &'static str;

        fn panicked(&self, _: ImageId, message: String) -> String {
            message
        }

        fn prepare(&self, image: ImageId) -> Result<Vec<&'static str>, String> {
            let _unit = self.units.enter(None);
            let builds = self.builds.iter().find(|(i, _)| *i == image);
            Ok(builds.map(|(_, b)| b.to_vec()).unwrap_or_default())
        }

        fn build(&self, image: ImageId, build: &&'static str) -> Result<(), String> {
            let _unit = self.units.enter(None);
            let _build = self.building.enter(self.company);
            self.note(format!("{image:?} {build}"));
            match self.failing.contains(build) {
                true => Err(format!("{build} broke")),
                false => Ok(()),
            }
        }

        fn run(&self, image: ImageId, _: &dyn Milestones) -> Result<(), String> {
            let _unit = self.units.enter(None);
            self.note(format!("{image:?} rest"));
            Ok(())
        }

        fn weight(&self, image: ImageId) -> usize {
            let weight = self.weights.iter().find(|(i, _)| *i == image);
            weight.map_or(1, |(_, w)| *w)
        }
    }

    const COMPANY: Option<std::time::Duration> = Some(std::time::Duration::from_secs(30));

    /// With two slots, the two builds of an image run side by side (each waits for the
    /// other, for 30 s at most), and the rest of its work follows both.
    #[test]
    fn the_builds_of_an_image_run_side_by_side() {
        let (_, graph) = graph(&[("a", &[]), ("b", &["a"])]);
        let builds: &[(ImageId, &[&str])] = &[(A, &["amd64", "arm64"])];
        let job = Platforms {
            company: COMPANY,
            ..Platforms::new(builds)
        };
        let outcomes = run(graph.order(), &graph, 2, &job, &|_| {});
        assert_eq!(
            outcomes,
            [(A, JobOutcome::Succeeded), (B, JobOutcome::Succeeded)]
        );
        assert_eq!(job.building.most(), 2);
        let log = job.log();
        let at = |line: &str| log.iter().position(|l| l == line).unwrap();
        assert!(at("ImageId(0) amd64") < at("ImageId(0) rest"));
        assert!(at("ImageId(0) arm64") < at("ImageId(0) rest"));
        assert!(at("ImageId(0) rest") < at("ImageId(1) rest"));
    }

    /// With one slot, never two units at once, builds or not; with two, two.
    #[test]
    fn each_slot_runs_one_unit() {
        let (_, graph) = graph(&[("a", &[]), ("b", &["a"]), ("c", &[]), ("d", &[])]);
        let builds: &[(ImageId, &[&str])] = &[(A, &["x", "y"]), (B, &["x", "y"]), (C, &["x"])];
        for jobs in [1, 2] {
            let job = Platforms {
                company: Some(std::time::Duration::from_millis(300)),
                ..Platforms::new(builds)
            };
            let outcomes = run(graph.order(), &graph, jobs, &job, &|_| {});
            assert!(outcomes.iter().all(|(_, o)| *o == JobOutcome::Succeeded));
            assert_eq!(job.units.most(), jobs);
            assert_eq!(job.log().len(), 5 + 4);
        }
    }

    /// A failed build fails its image, once the build running beside it has ended; the rest
    /// of its work never runs, and what is built on it is skipped.
    #[test]
    fn a_failed_build_fails_its_image() {
        let (_, graph) = graph(&[("a", &[]), ("b", &["a"]), ("c", &[])]);
        let builds: &[(ImageId, &[&str])] = &[(A, &["amd64", "arm64"])];
        let job = Platforms {
            failing: &["arm64"],
            company: COMPANY,
            ..Platforms::new(builds)
        };
        let events = Mutex::new(Vec::new());
        let outcomes = run(graph.order(), &graph, 2, &job, &|e| {
            events.lock().unwrap().push(seen(e))
        });
        assert_eq!(
            outcomes,
            [
                (A, JobOutcome::Failed("arm64 broke".into())),
                (
                    B,
                    JobOutcome::Skipped {
                        failed_dependency: A
                    }
                ),
                (C, JobOutcome::Succeeded),
            ]
        );
        let mut log = job.log();
        log.sort();
        assert_eq!(
            log,
            ["ImageId(0) amd64", "ImageId(0) arm64", "ImageId(2) rest"]
        );
        let events = events.into_inner().unwrap();
        assert!(!events.contains(&Seen::Released(A)));
        assert!(!events.contains(&Seen::Started(B)));
    }

    /// The weight of an image counts on its chain: with one slot, an image heavier than a
    /// longer chain of light ones goes first.
    #[test]
    fn the_heaviest_chain_starts_first() {
        let (tree, graph) = graph(&[
            ("light", &[]),
            ("light-2", &["light"]),
            ("light-3", &["light-2"]),
            ("heavy", &[]),
        ]);
        let heavy = tree.find("heavy").unwrap();
        let weights = [(heavy, 4)];
        let job = Platforms {
            weights: &weights,
            ..Platforms::new(&[])
        };
        run(graph.order(), &graph, 1, &job, &|_| {});
        let first = job.log().into_iter().next();
        assert_eq!(first, Some(format!("{heavy:?} rest")));
    }

    /// Once stopping, no image starts, but the builds and the rest of an image already
    /// started do: its work ends as it would have.
    #[test]
    fn once_stopping_started_images_go_on() {
        struct StopInPrepare(Platforms<'static>, AtomicBool);
        impl Job for StopInPrepare {
            type Error = String;
            type Build = &'static str;

            fn panicked(&self, _: ImageId, message: String) -> String {
                message
            }

            fn prepare(&self, image: ImageId) -> Result<Vec<&'static str>, String> {
                self.1.store(true, Ordering::SeqCst);
                self.0.prepare(image)
            }

            fn build(&self, image: ImageId, build: &&'static str) -> Result<(), String> {
                self.0.build(image, build)
            }

            fn run(&self, image: ImageId, milestones: &dyn Milestones) -> Result<(), String> {
                self.0.run(image, milestones)
            }

            fn stopping(&self) -> bool {
                self.1.load(Ordering::SeqCst)
            }
        }
        let (_, graph) = graph(&[("a", &[]), ("b", &[])]);
        let job = StopInPrepare(
            Platforms::new(&[(A, &["amd64", "arm64"])]),
            AtomicBool::new(false),
        );
        let outcomes = run(graph.order(), &graph, 1, &job, &|_| {});
        assert_eq!(
            outcomes,
            [(A, JobOutcome::Succeeded), (B, JobOutcome::NotStarted)]
        );
        assert_eq!(
            job.0.log(),
            ["ImageId(0) amd64", "ImageId(0) arm64", "ImageId(0) rest"]
        );
    }
}
