//! A connection's outgoing frames, for both protocol families: queued in
//! order, lent to the transport that writes them, settled once written,
//! given back to the front when a write fails or a poll is abandoned.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::core::{Frame, Stats};

/// How much an outbox may hold: a client that stops reading is dropped
/// when either bound is reached, instead of growing the server's memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_packets: usize,
    pub(crate) max_bytes: usize,
}

/// How much one lend may take: a transport whose peer reads bounded
/// batches (Engine.IO polling) asks for no more.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Batch {
    /// Frames at most (at least one is always taken).
    pub(crate) max_frames: usize,
    /// Bytes at most, as the lender weighs each frame.
    pub(crate) max_bytes: usize,
}

/// The bound was reached: the frames were not queued, and the owner
/// closes the session (its client is not reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow;

/// What a transport gets when it asks for frames.
#[derive(Debug)]
pub(crate) enum Take {
    /// Frames to write, oldest first.
    Frames(Vec<Frame>),
    /// Nothing queued yet (or another writer holds lent frames): wait.
    Empty,
    /// A newer transport binding replaced this one.
    Superseded,
    /// Closed, and everything queued was delivered.
    Gone,
}

/// The queue itself. It lives inside its owner's lock, next to the state
/// that the family's session keeps; [`Lent`] reaches it through
/// [`OutboxOwner`].
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Frame>,
    bytes: usize,
    /// Frames are out with a writer that has not settled them; until it
    /// does nobody else takes any, so none can overtake them.
    lent: bool,
    closed: bool,
    /// The binding allowed to take frames; a newer one supersedes it.
    token: u64,
}

impl Outbox {
    /// Queues `frames` in order, all or none, so that one packet's frames (a
    /// binary event and its attachments) are never split. Dropped once the
    /// outbox is closed.
    pub(crate) fn push_all(
        &mut self,
        frames: impl IntoIterator<Item = Frame>,
        limits: &Limits,
    ) -> Result<(), Overflow> {
        if self.closed {
            return Ok(());
        }
        let start = self.queue.len();
        let mut bytes = self.bytes;
        for frame in frames {
            bytes += frame.len();
            self.queue.push_back(frame);
        }
        if bytes > limits.max_bytes || self.queue.len() > limits.max_packets {
            self.queue.truncate(start);
            return Err(Overflow);
        }
        self.bytes = bytes;
        Ok(())
    }

    /// Closes the outbox; `last` (a goodbye packet) is queued past the
    /// bound. Nothing is queued after it.
    pub(crate) fn close(&mut self, last: Option<Frame>) {
        if self.closed {
            return;
        }
        if let Some(last) = last {
            self.bytes += last.len();
            self.queue.push_back(last);
        }
        self.closed = true;
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Nothing queued and nothing out with a writer.
    pub(crate) fn is_drained(&self) -> bool {
        self.queue.is_empty() && !self.lent
    }

    /// Closed and drained: nobody will ever get a frame from it again.
    pub(crate) fn is_finished(&self) -> bool {
        self.closed && self.is_drained()
    }

    /// A new transport binding; the previous one is superseded.
    pub(crate) fn rebind(&mut self) -> u64 {
        self.token += 1;
        self.token
    }

    pub(crate) fn is_current(&self, token: u64) -> bool {
        self.token == token
    }

    /// Why binding `token` cannot take frames now, if it cannot.
    fn refusal(&self, token: u64) -> Option<Take> {
        if self.token != token {
            return Some(Take::Superseded);
        }
        if self.lent {
            return Some(Take::Empty);
        }
        if self.queue.is_empty() {
            return Some(if self.closed { Take::Gone } else { Take::Empty });
        }
        None
    }

    /// Takes every queued frame for the binding `token`. They are lent:
    /// until [`Outbox::settle`] nobody else takes frames.
    pub(crate) fn lend(&mut self, token: u64) -> Take {
        if let Some(refusal) = self.refusal(token) {
            return refusal;
        }
        self.lent = true;
        self.bytes = 0;
        // The queue's buffer leaves with its frames (no copy when it has not
        // wrapped): an idle session then holds no queue memory at all.
        Take::Frames(Vec::from(std::mem::take(&mut self.queue)))
    }

    /// [`Outbox::lend`], but only the oldest frames that fit `batch`, each
    /// weighing `cost(frame)` bytes; the rest stay queued, in order, for the
    /// next lend. The first frame is taken even when it alone is heavier
    /// than the bound, so the queue always moves.
    pub(crate) fn lend_at_most(&mut self, token: u64, batch: Batch, cost: impl Fn(&Frame) -> usize) -> Take {
        if let Some(refusal) = self.refusal(token) {
            return refusal;
        }
        let (mut count, mut bytes) = (0, 0);
        for frame in &self.queue {
            let weight = cost(frame);
            if count > 0 && (count >= batch.max_frames || bytes + weight > batch.max_bytes) {
                break;
            }
            count += 1;
            bytes += weight;
        }
        if count == self.queue.len() {
            return self.lend(token);
        }
        self.lent = true;
        let frames: Vec<Frame> = self.queue.drain(..count).collect();
        self.bytes -= frames.iter().map(Frame::len).sum::<usize>();
        Take::Frames(frames)
    }

    /// Ends a lend: `unwritten` frames go back to the front, in order.
    pub(crate) fn settle(&mut self, unwritten: &[Frame]) {
        self.lent = false;
        for frame in unwritten.iter().rev() {
            self.bytes += frame.len();
            self.queue.push_front(frame.clone());
        }
    }
}

/// What owns an outbox behind its own lock: a legacy session or an
/// Engine.IO session.
pub(crate) trait OutboxOwner: Send + Sync + 'static {
    /// Runs `f` on the outbox under the owner's lock.
    fn with_outbox<R>(&self, f: impl FnOnce(&mut Outbox) -> R) -> R;
    /// Frames came back or a lend ended: writers may look again.
    fn settled(&self);
    fn stats(&self) -> &Stats;
    fn sid(&self) -> &str;
}

/// Lends the outbox's frames to binding `token`, or says why not (never
/// `Take::Frames`).
pub(crate) fn lend<O: OutboxOwner>(owner: &Arc<O>, token: u64) -> Result<Lent<O>, Take> {
    match owner.with_outbox(|outbox| outbox.lend(token)) {
        Take::Frames(frames) => Ok(Lent {
            owner: owner.clone(),
            frames,
        }),
        other => Err(other),
    }
}

/// [`lend`], but at most `batch` (see [`Outbox::lend_at_most`]).
pub(crate) fn lend_at_most<O: OutboxOwner>(
    owner: &Arc<O>,
    token: u64,
    batch: Batch,
    cost: impl Fn(&Frame) -> usize,
) -> Result<Lent<O>, Take> {
    match owner.with_outbox(|outbox| outbox.lend_at_most(token, batch, cost)) {
        Take::Frames(frames) => Ok(Lent {
            owner: owner.clone(),
            frames,
        }),
        other => Err(other),
    }
}

/// Frames on their way to a client. They leave the outbox for good only
/// when [`Lent::delivered`] runs; a writer that fails part-way hands back
/// the rest with [`Lent::written`], and one dropped unsettled (a poll the
/// client abandoned) gives every frame back to the front.
#[derive(Debug)]
pub(crate) struct Lent<O: OutboxOwner> {
    owner: Arc<O>,
    frames: Vec<Frame>,
}

impl<O: OutboxOwner> Lent<O> {
    pub(crate) fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Every frame was written.
    pub(crate) fn delivered(self) {
        let count = self.frames.len();
        self.written(count);
    }

    /// The first `count` frames were written; the rest go back to the
    /// front of the outbox, ahead of anything queued meanwhile.
    pub(crate) fn written(mut self, count: usize) {
        let frames = std::mem::take(&mut self.frames);
        let count = count.min(frames.len());
        let bytes = frames[..count].iter().map(Frame::len).sum();
        self.owner.stats().sent(count, bytes);
        self.owner.with_outbox(|outbox| outbox.settle(&frames[count..]));
        self.owner.settled();
    }
}

impl<O: OutboxOwner> Drop for Lent<O> {
    fn drop(&mut self) {
        if !self.frames.is_empty() {
            tracing::debug!(
                sid = self.owner.sid(),
                frames = self.frames.len(),
                "frames not written; given back to the outbox"
            );
            let frames = std::mem::take(&mut self.frames);
            self.owner.with_outbox(|outbox| outbox.settle(&frames));
            self.owner.settled();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    struct Owner {
        outbox: Mutex<Outbox>,
        stats: Stats,
    }

    impl OutboxOwner for Owner {
        fn with_outbox<R>(&self, f: impl FnOnce(&mut Outbox) -> R) -> R {
            f(&mut self.outbox.lock().expect("not poisoned"))
        }
        fn settled(&self) {}
        fn stats(&self) -> &Stats {
            &self.stats
        }
        fn sid(&self) -> &str {
            "test"
        }
    }

    const LIMITS: Limits = Limits {
        max_packets: 4,
        max_bytes: 100,
    };

    fn owner(frames: &[&'static str]) -> (Arc<Owner>, u64) {
        let owner = Arc::new(Owner {
            outbox: Mutex::new(Outbox::default()),
            stats: Stats::default(),
        });
        let token = owner.with_outbox(|outbox| {
            outbox
                .push_all(frames.iter().map(|text| Frame::fixed(text)), &LIMITS)
                .expect("fits");
            outbox.rebind()
        });
        (owner, token)
    }

    fn texts(owner: &Arc<Owner>, token: u64) -> Vec<String> {
        match lend(owner, token) {
            Ok(lent) => {
                let texts = lent.frames().iter().map(|f| f.as_str().to_owned()).collect();
                lent.delivered();
                texts
            }
            Err(take) => panic!("expected frames, got {take:?}"),
        }
    }

    #[test]
    fn delivered_frames_leave_once_in_order() {
        let (owner, token) = owner(&["a", "b"]);
        assert_eq!(texts(&owner, token), ["a", "b"]);
        assert!(matches!(lend(&owner, token), Err(Take::Empty)));
        assert_eq!(owner.stats.snapshot().packets_sent_total, 2);
    }

    #[test]
    fn nobody_takes_while_frames_are_lent() {
        let (owner, token) = owner(&["a"]);
        let lent = lend(&owner, token).expect("frames");
        owner
            .with_outbox(|o| o.push_all([Frame::fixed("b")], &LIMITS))
            .expect("fits");
        assert!(matches!(lend(&owner, token), Err(Take::Empty)));
        lent.delivered();
        assert_eq!(texts(&owner, token), ["b"]);
    }

    #[test]
    fn a_dropped_lend_gives_every_frame_back_ahead_of_newer_ones() {
        let (owner, token) = owner(&["a", "b"]);
        let lent = lend(&owner, token).expect("frames");
        owner
            .with_outbox(|o| o.push_all([Frame::fixed("c")], &LIMITS))
            .expect("fits");
        drop(lent);
        assert_eq!(texts(&owner, token), ["a", "b", "c"]);
    }

    #[test]
    fn a_writer_failing_mid_batch_gives_back_what_it_did_not_write() {
        let (owner, token) = owner(&["a", "b", "c"]);
        let lent = lend(&owner, token).expect("frames");
        owner
            .with_outbox(|o| o.push_all([Frame::fixed("d")], &LIMITS))
            .expect("fits");
        // The writer wrote "a", then failed on "b".
        lent.written(1);
        assert_eq!(owner.stats.snapshot().packets_sent_total, 1);
        assert_eq!(texts(&owner, token), ["b", "c", "d"]);
    }

    #[test]
    fn a_push_over_the_bound_queues_none_of_its_frames() {
        let (owner, token) = owner(&["a", "b", "c"]);
        let pushed = owner.with_outbox(|o| o.push_all([Frame::fixed("d"), Frame::fixed("e")], &LIMITS));
        assert_eq!(pushed, Err(Overflow));
        assert_eq!(texts(&owner, token), ["a", "b", "c"]);
    }

    fn at_most(owner: &Arc<Owner>, token: u64, max_frames: usize, max_bytes: usize) -> Vec<String> {
        let batch = Batch { max_frames, max_bytes };
        match lend_at_most(owner, token, batch, Frame::len) {
            Ok(lent) => {
                let texts = lent.frames().iter().map(|f| f.as_str().to_owned()).collect();
                lent.delivered();
                texts
            }
            Err(take) => panic!("expected frames, got {take:?}"),
        }
    }

    #[test]
    fn bounded_lends_take_the_oldest_frames_and_leave_the_rest_in_order() {
        let (owner, token) = owner(&["a", "bb", "ccc", "d"]);
        assert_eq!(at_most(&owner, token, 2, 100), ["a", "bb"]);
        assert_eq!(owner.with_outbox(|o| o.bytes), 4, "the bytes left queued");
        // Newer frames queue behind the ones left.
        owner
            .with_outbox(|o| o.push_all([Frame::fixed("e")], &LIMITS))
            .expect("fits");
        assert_eq!(at_most(&owner, token, 2, 100), ["ccc", "d"]);
        assert_eq!(at_most(&owner, token, 2, 100), ["e"]);
        assert!(matches!(lend(&owner, token), Err(Take::Empty)));
        assert_eq!(owner.with_outbox(|o| o.bytes), 0);
        assert_eq!(owner.stats.snapshot().packets_sent_total, 5);
    }

    #[test]
    fn bounded_lends_stay_within_the_bytes_but_always_move() {
        let (owner, token) = owner(&["aa", "bb", "cccccc", "d"]);
        // 2 + 2 fit in 5, the 6 bytes after them do not.
        assert_eq!(at_most(&owner, token, 16, 5), ["aa", "bb"]);
        // A frame heavier than the bound goes out alone rather than never.
        assert_eq!(at_most(&owner, token, 16, 5), ["cccccc"]);
        assert_eq!(at_most(&owner, token, 16, 5), ["d"]);
        // Bounds of zero still take one frame.
        owner
            .with_outbox(|o| o.push_all([Frame::fixed("x"), Frame::fixed("y")], &LIMITS))
            .expect("fits");
        assert_eq!(at_most(&owner, token, 0, 0), ["x"]);
    }

    #[test]
    fn a_bounded_lend_given_back_returns_ahead_of_what_it_left() {
        let (owner, token) = owner(&["a", "b", "c", "d"]);
        let batch = Batch {
            max_frames: 2,
            max_bytes: 100,
        };
        let lent = lend_at_most(&owner, token, batch, Frame::len).expect("frames");
        // Lent frames block every other lend, bounded or not.
        assert!(matches!(
            lend_at_most(&owner, token, batch, Frame::len),
            Err(Take::Empty)
        ));
        assert!(matches!(lend(&owner, token), Err(Take::Empty)));
        lent.written(1);
        assert_eq!(texts(&owner, token), ["b", "c", "d"]);
    }

    #[test]
    fn bounded_lends_of_a_closed_outbox_end_with_the_goodbye_then_gone() {
        let (owner, token) = owner(&["a", "b", "c"]);
        owner.with_outbox(|o| o.close(Some(Frame::fixed("bye"))));
        assert_eq!(at_most(&owner, token, 2, 100), ["a", "b"]);
        assert!(!owner.with_outbox(|o| o.is_finished()));
        assert_eq!(at_most(&owner, token, 2, 100), ["c", "bye"]);
        assert!(matches!(lend(&owner, token), Err(Take::Gone)));
    }

    #[test]
    fn a_newer_binding_supersedes_and_close_drains_to_gone() {
        let (owner, old) = owner(&["a"]);
        let new = owner.with_outbox(Outbox::rebind);
        assert!(matches!(lend(&owner, old), Err(Take::Superseded)));
        owner.with_outbox(|o| o.close(Some(Frame::fixed("bye"))));
        // Closed: further pushes are dropped, the goodbye is last.
        owner
            .with_outbox(|o| o.push_all([Frame::fixed("late")], &LIMITS))
            .expect("dropped");
        assert_eq!(texts(&owner, new), ["a", "bye"]);
        assert!(matches!(lend(&owner, new), Err(Take::Gone)));
        assert!(owner.with_outbox(|o| o.is_finished()));
    }
}
