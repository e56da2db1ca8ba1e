internal import Foundation

/// A bounded single-producer, single-consumer hand-off of batches between two threads.
/// Batches are recycled through a free list so the steady state allocates nothing.
final class BatchChannel<Batch>: @unchecked Sendable {
    private let condition = NSCondition()
    private var full: [Batch] = []
    private var empty: [Batch]
    private var closed = false

    init(buffers: [Batch]) { empty = buffers }

    /// A batch to fill (blocks while all are in flight).
    func takeEmpty() -> Batch {
        condition.lock(); defer { condition.unlock() }
        while empty.isEmpty { condition.wait() }
        return empty.removeLast()
    }

    func send(_ batch: Batch) {
        condition.lock(); full.append(batch); condition.broadcast(); condition.unlock()
    }

    func close() {
        condition.lock(); closed = true; condition.broadcast(); condition.unlock()
    }

    /// The next filled batch, or nil once the producer closed and everything was received.
    func receive() -> Batch? {
        condition.lock(); defer { condition.unlock() }
        while full.isEmpty && !closed { condition.wait() }
        return full.isEmpty ? nil : full.removeFirst()
    }

    func recycle(_ batch: consuming Batch) {
        condition.lock(); empty.append(batch); condition.broadcast(); condition.unlock()
    }
}
