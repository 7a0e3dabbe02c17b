//! Where framed messages wait while the pacer holds the connection back: one FIFO per stream,
//! served most important first; a deadline-bound message that waited past its stream's
//! `max_delay` is dropped when it reaches the head (it could only arrive too late).
//!
//! Bounded: a deadline-bound queue holds at most `MAX_QUEUED_BYTES`, dropping its oldest past
//! that; reliable messages are bounded before they get here, by their stream's window.

use std::collections::VecDeque;

use super::StreamConfig;
use crate::time::Timestamp;

/// Bytes one deadline-bound stream may queue (a second of 8 Mbit/s video).
const MAX_QUEUED_BYTES: usize = 1 << 20;

struct Lane {
    stream: StreamConfig,
    messages: VecDeque<(Timestamp, Vec<u8>)>,
    bytes: usize,
}

/// The send queues of one peer.
#[derive(Default)]
pub(crate) struct SendQueues {
    /// One per stream used so far (a handful).
    lanes: Vec<Lane>,
}

impl SendQueues {
    /// Queues `framed` on its stream's lane; returns how many older messages it pushed out.
    pub fn push(&mut self, stream: &StreamConfig, framed: Vec<u8>, now: Timestamp) -> u64 {
        let at = match self.lanes.iter().position(|lane| lane.stream.id == stream.id) {
            Some(at) => at,
            None => {
                self.lanes.push(Lane { stream: *stream, messages: VecDeque::new(), bytes: 0 });
                self.lanes.len() - 1
            }
        };
        let lane = &mut self.lanes[at];
        lane.bytes += framed.len();
        lane.messages.push_back((now, framed));
        let mut dropped = 0;
        while !lane.stream.reliable && lane.bytes > MAX_QUEUED_BYTES && lane.messages.len() > 1 {
            let (_, old) = lane.messages.pop_front().expect("more than one");
            lane.bytes -= old.len();
            dropped += 1;
        }
        dropped
    }

    /// The most important message still worth sending, with its stream id; `expired` is told
    /// the stream of each message dropped for waiting too long on the way. Among streams of
    /// equal priority, the oldest message goes first.
    pub fn pop(&mut self, now: Timestamp, mut expired: impl FnMut(u8)) -> Option<(u8, Vec<u8>)> {
        loop {
            let next = self.next_lane()?;
            let lane = &mut self.lanes[next];
            let (queued_at, framed) = lane.messages.pop_front().expect("next_lane is non-empty");
            lane.bytes -= framed.len();
            if !lane.stream.reliable && now > queued_at + lane.stream.max_delay {
                expired(lane.stream.id);
                continue;
            }
            return Some((lane.stream.id, framed));
        }
    }

    /// The lane to serve next: most important, then oldest head.
    fn next_lane(&self) -> Option<usize> {
        self.lanes
            .iter()
            .enumerate()
            .filter_map(|(i, lane)| lane.messages.front().map(|(queued_at, _)| ((lane.stream.priority, *queued_at), i)))
            .min()
            .map(|(_, i)| i)
    }

    /// The priority and size of what [`Self::pop`] would give next (ignoring expiry: an
    /// estimate for choosing among peers and for the pacer's timer).
    pub fn peek(&self) -> Option<(u8, usize)> {
        let lane = &self.lanes[self.next_lane()?];
        lane.messages.front().map(|(_, framed)| (lane.stream.priority, framed.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn most_important_first_and_stale_deadline_messages_dropped() {
        let (control, audio, video) = (StreamConfig::reliable(1, 0), StreamConfig::deadline(2, 1), StreamConfig::deadline(3, 2));
        let mut queues = SendQueues::default();
        let t0 = Timestamp::ZERO;
        queues.push(&video, vec![3; 10], t0);
        queues.push(&audio, vec![2; 10], t0);
        queues.push(&control, vec![1; 10], t0);
        let mut expired = Vec::new();
        assert_eq!(queues.pop(t0, |s| expired.push(s)).map(|(s, _)| s), Some(1));
        // 150 ms later: audio and video waited past their 100 ms.
        let later = t0 + Duration::from_millis(150);
        queues.push(&control, vec![1; 10], t0);
        assert_eq!(queues.pop(later, |s| expired.push(s)).map(|(s, _)| s), Some(1), "reliable never expires");
        assert_eq!(queues.pop(later, |s| expired.push(s)), None);
        assert_eq!(expired, [2, 3]);
        assert_eq!(queues.peek(), None);
    }

    #[test]
    fn a_deadline_lane_is_bounded() {
        let video = StreamConfig::deadline(3, 2);
        let mut queues = SendQueues::default();
        let mut dropped = 0;
        for _ in 0..2000 {
            dropped += queues.push(&video, vec![0; 1000], Timestamp::ZERO);
        }
        assert_eq!(dropped, 2000 - (MAX_QUEUED_BYTES / 1000) as u64);
    }
}
