//! Runs the work of a chain of images in dependency order, independent images at the same
//! time, at most `jobs` at once. When an image fails before the images built on it could
//! start, they are skipped and every other image goes on.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::graph::DependencyGraph;

/// The work of one image.
pub trait Job: Sync {
    /// Does everything for `image`. Calls `release` once the images built on it may start
    /// (after it is built and verified, say, while it is still being pushed); if it never
    /// does, they start when `run` returns `Ok`.
    fn run(&self, image: usize, release: &dyn Fn()) -> Result<(), String>;
}

/// What happened to one image of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Succeeded,
    Failed(String),
    /// Not started because `failed_dependency`, an image it is built on (directly or not),
    /// failed.
    Skipped {
        failed_dependency: usize,
    },
}

/// Each image of a chain with its outcome, in chain order.
pub type Outcomes = Vec<(usize, JobOutcome)>;

/// What the scheduler tells an observer (a progress display, a test), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started(usize),
    Released(usize),
    Finished(usize, JobOutcome),
}

enum Message {
    Released(usize),
    Finished(usize, Result<(), String>),
}

/// Runs `job` for every image of `chain` (which lists each image after its dependencies)
/// and returns each image's outcome, in chain order.
pub fn run(
    chain: &[usize],
    graph: &DependencyGraph,
    jobs: usize,
    job: &dyn Job,
    observe: &(dyn Fn(&Event) + Sync),
) -> Outcomes {
    let mut state = Schedule::new(chain, graph);
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        loop {
            while state.running < jobs.max(1)
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
            for event in state.handle(message, graph) {
                observe(&event);
            }
        }
    });
    chain
        .iter()
        .map(|&image| {
            (
                image,
                state.outcomes.remove(&image).unwrap_or_else(|| {
                    JobOutcome::Failed("internal error: the image was never scheduled".into())
                }),
            )
        })
        .collect()
}

fn run_one(job: &dyn Job, image: usize, sender: &mpsc::Sender<Message>) {
    let released = AtomicBool::new(false);
    let release = || {
        if !released.swap(true, Ordering::SeqCst) {
            let _ = sender.send(Message::Released(image));
        }
    };
    let result = job.run(image, &release);
    let _ = sender.send(Message::Finished(image, result));
}

/// The order in which ready images start: the longest chain of images waiting on it first
/// (what is left of the critical path), then chain order.
type Rank = (Reverse<usize>, usize);

/// Each image's rank: the number of images on the longest chain from it to the end (it
/// included), computed from the last image of `chain` back.
fn ranks(
    chain: &[usize],
    graph: &DependencyGraph,
    position: &HashMap<usize, usize>,
) -> HashMap<usize, Rank> {
    let mut height: HashMap<usize, usize> = HashMap::with_capacity(chain.len());
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
struct Schedule {
    /// Position of each image in the chain.
    position: HashMap<usize, usize>,
    rank: HashMap<usize, Rank>,
    /// Dependencies in the chain not yet released, per image.
    waiting: HashMap<usize, usize>,
    ready: BTreeSet<(Rank, usize)>,
    released: BTreeSet<usize>,
    /// Started and not released: each holds one of the `jobs` slots.
    running: usize,
    /// Started and not finished.
    in_flight: usize,
    outcomes: HashMap<usize, JobOutcome>,
}

impl Schedule {
    fn new(chain: &[usize], graph: &DependencyGraph) -> Schedule {
        let position: HashMap<usize, usize> =
            chain.iter().enumerate().map(|(p, &i)| (i, p)).collect();
        let waiting: HashMap<usize, usize> = chain
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

    fn next_ready(&mut self) -> Option<usize> {
        let (_, image) = self.ready.pop_first()?;
        self.running += 1;
        self.in_flight += 1;
        Some(image)
    }

    fn handle(&mut self, message: Message, graph: &DependencyGraph) -> Vec<Event> {
        match message {
            Message::Released(image) => {
                // What comes after the release (a push, say) does not hold a slot.
                self.running -= 1;
                self.release(image, graph);
                vec![Event::Released(image)]
            }
            Message::Finished(image, result) => {
                self.in_flight -= 1;
                let held_a_slot = !self.released.contains(&image);
                let outcome = match result {
                    Ok(()) => JobOutcome::Succeeded,
                    Err(reason) => JobOutcome::Failed(reason),
                };
                let mut events = Vec::new();
                if held_a_slot {
                    self.running -= 1;
                    if outcome == JobOutcome::Succeeded {
                        self.release(image, graph);
                        events.push(Event::Released(image));
                    } else {
                        events.extend(self.skip_dependents(image, graph));
                    }
                }
                self.outcomes.insert(image, outcome.clone());
                events.insert(0, Event::Finished(image, outcome));
                events
            }
        }
    }

    fn release(&mut self, image: usize, graph: &DependencyGraph) {
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
    fn skip_dependents(&mut self, failed: usize, graph: &DependencyGraph) -> Vec<Event> {
        let mut events = Vec::new();
        let mut stack = graph.dependents(failed).to_vec();
        while let Some(image) = stack.pop() {
            if !self.position.contains_key(&image) || self.outcomes.contains_key(&image) {
                continue;
            }
            let outcome = JobOutcome::Skipped {
                failed_dependency: failed,
            };
            self.outcomes.insert(image, outcome.clone());
            events.push(Event::Finished(image, outcome));
            stack.extend_from_slice(graph.dependents(image));
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Condvar, Mutex};

    use super::*;
    use crate::tree::{ImageTree, test_tree};

    fn graph(images: &[(&str, &[&str])]) -> (ImageTree, DependencyGraph) {
        let tree = test_tree(images);
        let graph = DependencyGraph::new(&tree, &[]).unwrap();
        (tree, graph)
    }

    /// A job whose images fail when named in `failing`, recording what ran.
    struct Scripted<'a> {
        tree: &'a ImageTree,
        failing: &'a [&'a str],
        release_early: bool,
        ran: Mutex<Vec<String>>,
    }

    impl<'a> Scripted<'a> {
        fn new(tree: &'a ImageTree, failing: &'a [&'a str], release_early: bool) -> Self {
            Scripted {
                tree,
                failing,
                release_early,
                ran: Mutex::new(Vec::new()),
            }
        }
    }

    impl Job for Scripted<'_> {
        fn run(&self, image: usize, release: &dyn Fn()) -> Result<(), String> {
            let name = self.tree.get(image).name().to_owned();
            self.ran.lock().unwrap().push(name.clone());
            if self.failing.contains(&name.as_str()) {
                return Err(format!("{name} broke"));
            }
            if self.release_early {
                release();
            }
            Ok(())
        }
    }

    fn names(tree: &ImageTree, outcomes: &[(usize, JobOutcome)]) -> Vec<(String, JobOutcome)> {
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
                events.lock().unwrap().push(e.clone())
            });
            assert!(outcomes.iter().all(|(_, o)| *o == JobOutcome::Succeeded));
            let events = events.into_inner().unwrap();
            let at = |wanted: Event| events.iter().position(|e| *e == wanted).unwrap();
            let (a, b, c, d) = (0, 1, 2, 3);
            assert!(at(Event::Released(a)) < at(Event::Started(b)));
            assert!(at(Event::Released(a)) < at(Event::Started(c)));
            assert!(at(Event::Released(b)) < at(Event::Started(d)));
            assert!(at(Event::Released(c)) < at(Event::Started(d)));
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
            fn run(&self, _: usize, _: &dyn Fn()) -> Result<(), String> {
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
            events.lock().unwrap().push(e.clone())
        });
        assert!(outcomes.iter().all(|(_, o)| *o == JobOutcome::Succeeded));
        let events = events.into_inner().unwrap();
        assert_eq!(&events[..2], [Event::Started(0), Event::Started(1)]);
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
            fn run(&self, image: usize, release: &dyn Fn()) -> Result<(), String> {
                let mut second_started = self.second_started.lock().unwrap();
                if image == 1 {
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
            [(0, JobOutcome::Succeeded), (1, JobOutcome::Succeeded)]
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
}
