//! A connection's inputs for its handler task: bounded, in arrival order,
//! one receiver. It lives inside the connection and allocates only while
//! inputs wait: a channel would hold about a kilobyte per idle connection
//! (its shared state, padded to cache lines, and a first block of slots).

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use tokio::sync::Notify;

use crate::core::{Connection, HandlerInput};

impl AsRef<Inbox> for Inbox {
    fn as_ref(&self) -> &Inbox {
        self
    }
}

/// Queue slots kept after a burst drains; a larger buffer is freed.
const KEPT_SLOTS: usize = 4;

pub(crate) struct Inbox {
    state: Mutex<State>,
    /// Wakes senders waiting for room, or to hear the receiver is gone.
    room: Notify,
}

struct State {
    queue: VecDeque<HandlerInput>,
    capacity: usize,
    /// The handler task, waiting for an input.
    receiver: Option<Waker>,
    receiver_gone: bool,
    senders: usize,
}

/// Why [`InboxSender::try_send`] did not queue its input.
#[derive(Debug)]
pub(crate) enum TrySendError {
    /// Full: the input is handed back.
    Full(HandlerInput),
    /// The handler task is gone: the input was dropped.
    Closed,
}

impl Inbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                capacity: capacity.max(1),
                receiver: None,
                receiver_gone: false,
                senders: 0,
            }),
            room: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section is panic-free, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Queues `input` if there is room; the receiver, if waiting, is woken.
    fn offer(&self, input: HandlerInput) -> Result<(), TrySendError> {
        let mut state = self.lock();
        if state.receiver_gone {
            return Err(TrySendError::Closed);
        }
        if state.queue.len() >= state.capacity {
            return Err(TrySendError::Full(input));
        }
        state.queue.push_back(input);
        let receiver = state.receiver.take();
        drop(state);
        if let Some(receiver) = receiver {
            receiver.wake();
        }
        Ok(())
    }
}

/// The sending side (the session's handle on the connection, and any wait
/// for room); the receiver sees the end once every sender is gone. `O`
/// holds the inbox.
pub(crate) struct InboxSender<O: AsRef<Inbox> = Connection> {
    owner: Arc<O>,
}

impl<O: AsRef<Inbox>> InboxSender<O> {
    fn inbox(&self) -> &Inbox {
        (*self.owner).as_ref()
    }

    pub(crate) fn try_send(&self, input: HandlerInput) -> Result<(), TrySendError> {
        self.inbox().offer(input)
    }

    /// Queues `input` once there is room; whether it was queued (not when
    /// the handler task is gone).
    pub(crate) async fn send(&self, mut input: HandlerInput) -> bool {
        let inbox = self.inbox();
        loop {
            let room = inbox.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            match inbox.offer(input) {
                Ok(()) => return true,
                Err(TrySendError::Full(back)) => input = back,
                Err(TrySendError::Closed) => return false,
            }
            room.await;
        }
    }
}

impl<O: AsRef<Inbox>> Clone for InboxSender<O> {
    fn clone(&self) -> Self {
        self.inbox().lock().senders += 1;
        Self {
            owner: self.owner.clone(),
        }
    }
}

impl<O: AsRef<Inbox>> Drop for InboxSender<O> {
    fn drop(&mut self) {
        let mut state = self.inbox().lock();
        state.senders -= 1;
        let receiver = if state.senders == 0 {
            state.receiver.take()
        } else {
            None
        };
        drop(state);
        if let Some(receiver) = receiver {
            receiver.wake();
        }
    }
}

/// The handler task's side.
pub(crate) struct InboxReceiver<O: AsRef<Inbox> = Connection> {
    owner: Arc<O>,
}

impl<O: AsRef<Inbox>> InboxReceiver<O> {
    /// The next input; `None` once every sender is gone and the queue is empty.
    pub(crate) async fn recv(&mut self) -> Option<HandlerInput> {
        let inbox = (*self.owner).as_ref();
        poll_fn(|cx| {
            let mut state = inbox.lock();
            if let Some(input) = state.queue.pop_front() {
                let was_full = state.queue.len() + 1 >= state.capacity;
                if state.queue.is_empty() && state.queue.capacity() > KEPT_SLOTS {
                    state.queue = VecDeque::new();
                }
                drop(state);
                if was_full {
                    inbox.room.notify_waiters();
                }
                return Poll::Ready(Some(input));
            }
            if state.senders == 0 {
                return Poll::Ready(None);
            }
            if !state.receiver.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
                state.receiver = Some(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }
}

impl<O: AsRef<Inbox>> Drop for InboxReceiver<O> {
    fn drop(&mut self) {
        let inbox = (*self.owner).as_ref();
        let queued = {
            let mut state = inbox.lock();
            state.receiver_gone = true;
            state.receiver = None;
            std::mem::take(&mut state.queue)
        };
        drop(queued);
        inbox.room.notify_waiters();
    }
}

/// The two sides of the inbox `owner` holds.
pub(crate) fn open<O: AsRef<Inbox>>(owner: &Arc<O>) -> (InboxSender<O>, InboxReceiver<O>) {
    (**owner).as_ref().lock().senders += 1;
    (
        InboxSender { owner: owner.clone() },
        InboxReceiver { owner: owner.clone() },
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures_util::FutureExt;

    use super::{Inbox, TrySendError, open};
    use crate::core::HandlerInput;

    fn message(text: &str) -> HandlerInput {
        HandlerInput::Message(Box::new((None, crate::core::Message::Text(text.to_owned()))))
    }

    fn text_of(input: Option<HandlerInput>) -> String {
        match input {
            Some(HandlerInput::Message(message)) => match message.1 {
                crate::core::Message::Text(text) => text,
                crate::core::Message::Json(_) => panic!("not a text message"),
            },
            _ => panic!("not a message"),
        }
    }

    #[tokio::test]
    async fn inputs_arrive_in_order_and_a_full_inbox_makes_the_sender_wait() {
        let (sender, mut receiver) = open(&Arc::new(Inbox::new(2)));
        assert!(sender.try_send(message("a")).is_ok());
        assert!(sender.try_send(message("b")).is_ok());
        let back = sender.try_send(message("c"));
        assert!(matches!(back, Err(TrySendError::Full(_))));
        let mut waiting = Box::pin(sender.send(message("c")));
        assert!((&mut waiting).now_or_never().is_none(), "no room yet");
        assert_eq!(text_of(receiver.recv().await), "a");
        assert!(waiting.await, "room was made");
        assert_eq!(text_of(receiver.recv().await), "b");
        assert_eq!(text_of(receiver.recv().await), "c");
    }

    #[tokio::test]
    async fn the_receiver_sees_the_end_once_every_sender_is_gone() {
        let (sender, mut receiver) = open(&Arc::new(Inbox::new(4)));
        let other = sender.clone();
        assert!(sender.try_send(message("last")).is_ok());
        drop(sender);
        let mut next = Box::pin(async {
            let last = receiver.recv().await;
            (last, receiver.recv().await.is_none())
        });
        assert!((&mut next).now_or_never().is_none(), "a sender is left");
        drop(other);
        let (last, ended) = next.await;
        assert_eq!(text_of(last), "last");
        assert!(ended);
    }

    #[tokio::test]
    async fn senders_hear_that_the_receiver_is_gone() {
        let (sender, receiver) = open(&Arc::new(Inbox::new(1)));
        assert!(sender.try_send(message("queued")).is_ok());
        let mut waiting = Box::pin(sender.send(message("waits")));
        assert!((&mut waiting).now_or_never().is_none(), "no room yet");
        drop(receiver);
        assert!(!waiting.await, "dropped with the receiver");
        assert!(matches!(sender.try_send(message("late")), Err(TrySendError::Closed)));
    }
}
