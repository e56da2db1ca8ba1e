internal import FlowcastNATS
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Fetches the next batches from a pull consumer on its own thread, so the server sends them while
/// the planner works on the one before (fetching in turn left each side idle half the time).
///
/// At most `depth` batches wait; while they do (the planner in a long plan step), the thread marks
/// them in progress every few seconds, so the consumer's ack wait does not run out on them. The
/// caller owns, acknowledges and frees what it takes (acknowledgements are plain publishes, safe
/// from any thread).
final class Prefetcher: @unchecked Sendable {
    private let consumer: PullConsumer
    private let batch: Int
    private let milliseconds: Int64
    private let depth: Int
    private let condition = NSCondition()
    private var ready: [Result<FetchedBatch, NATSError>] = []
    private var stopping = false
    private var running = false

    init(_ consumer: PullConsumer, batch: Int, milliseconds: Int64, depth: Int = 2) {
        self.consumer = consumer
        self.batch = batch
        self.milliseconds = milliseconds
        self.depth = depth
    }

    func start() {
        condition.lock()
        running = true
        condition.unlock()
        let thread = Thread { [self] in loop() }
        thread.name = "flowcast planner fetch"
        thread.start()
    }

    /// The next fetched batch (empty when none came within the fetch's wait), or the fetch's error.
    func next() -> Result<FetchedBatch, NATSError> {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty { condition.wait() }
        let first = ready.removeFirst()
        condition.broadcast()
        return first
    }

    /// Messages fetched and not yet taken by `next()`.
    var bufferedMessages: Int {
        condition.lock(); defer { condition.unlock() }
        return ready.reduce(0) { if case let .success(b) = $1 { return $0 + b.messages.count }; return $0 }
    }

    /// Stops the thread and gives back what it fetched ahead (the fetch in flight included): the
    /// server delivers it again at once to the next run of this durable consumer. (It was dropped
    /// unacknowledged, so the next run waited out the ack wait for it: a planner that exited as a
    /// tap finished publishing held 540 messages so, a re-audit.)
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        for case let .success(b) in ready { try? b.giveBack() }
        ready.removeAll()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            var waitingSince = Date()
            while ready.count >= depth && !stopping {
                if !condition.wait(until: waitingSince.addingTimeInterval(4)) {
                    for case let .success(b) in ready { try? b.markInProgress() }
                    waitingSince = Date()
                }
            }
            if stopping {
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
            let result: Result<FetchedBatch, NATSError>
            do { result = .success(try consumer.fetch(batch: batch, milliseconds: milliseconds)) } catch { result = .failure(error) }
            condition.lock()
            ready.append(result)
            condition.broadcast()
            condition.unlock()
            if case .failure = result { usleep(200_000) }
        }
    }
}
