//! The peeling decoder, on the graph alone: which data symbols the received symbols give back,
//! and in what order. Working out the order before touching any bytes lets a receiver ask
//! whether a block is decodable (cheaply, on every arrival) and decode only once it is.

use super::graph::Graph;

/// The outcome of peeling one erasure pattern.
pub(crate) struct Plan {
    /// `known[i]`: data symbol i was received or is rebuilt by a step.
    pub(crate) known: Vec<bool>,
    /// `(j, i)`: repair symbol j rebuilds data symbol i as the XOR of itself and the other data
    /// symbols it covers, all of them known by the time the step runs.
    pub(crate) steps: Vec<(usize, usize)>,
}

/// Peels: while some received repair symbol covers exactly one unknown data symbol, that
/// symbol becomes known, which may leave other repair symbols with one unknown in turn.
pub(crate) fn plan(graph: &Graph, data_received: Vec<bool>, repair_received: &[bool]) -> Plan {
    let mut known = data_received;
    // Unknown data symbols under each received repair symbol; a lost one is never consulted.
    let mut unknown: Vec<usize> = repair_received
        .iter()
        .enumerate()
        .map(|(j, &got)| if got { graph.covers(j).iter().filter(|&&i| !known[i as usize]).count() } else { 0 })
        .collect();
    let mut ready: Vec<usize> = (0..unknown.len()).filter(|&j| unknown[j] == 1).collect();
    let mut steps = Vec::new();
    while let Some(j) = ready.pop() {
        // Another step may have rebuilt this symbol's last unknown since it was queued.
        if unknown[j] != 1 {
            continue;
        }
        let i = graph.covers(j).iter().map(|&i| i as usize).find(|&i| !known[i]).expect("one unknown remains");
        known[i] = true;
        steps.push((j, i));
        for &other in graph.covered_by(i) {
            let other = other as usize;
            if repair_received[other] {
                unknown[other] -= 1;
                if unknown[other] == 1 {
                    ready.push(other);
                }
            }
        }
    }
    Plan { known, steps }
}
