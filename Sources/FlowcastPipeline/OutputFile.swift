internal import CFlowcastShims
internal import FlowcastCore

/// A run's output file (windows.jsonl, flows.jsonl, forecasts.jsonl …): an `AtomicFile`
/// behind a reusable byte buffer, so a reader never sees half a file and a failed run leaves the
/// previous file intact. Write errors (a full disk) are kept and reported at `commit()` with the
/// file's path.
final class OutputFile {
    let file: AtomicFile
    var buffer: [UInt8] = []
    /// How far disk write-back has been started.
    private var writebackStarted: Int64 = 0

    var path: String { file.path }
    /// Bytes in the file so far (a resumed file's earlier bytes included).
    var written: Int64 { file.bytesWritten }

    /// `resumingAt`: carry on an earlier run's temporary file from that length (a restarted
    /// planner), rather than starting it empty.
    init(directory: String, name: String, resumingAt length: Int64? = nil) throws {
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        do { file = try AtomicFile(path: path, resumingAt: length) } catch { throw ReplayError.output(path: error.path, reason: error.reason) }
        writebackStarted = length ?? 0
        buffer.reserveCapacity(1 << 17)
    }

    func flushIfNeeded() { if buffer.count >= 1 << 16 { flush() } }

    func flush() {
        file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
        // Every 2 MiB, start writing the new bytes to disk in the background: the fsync in
        // `commit` then waits for the tail only, not for the whole file.
        let written = file.bytesWritten
        if file.failure == nil && written - writebackStarted >= 2 << 20 {
            _ = flowcast_start_writeback(file.descriptor, writebackStarted, written - writebackStarted)
            writebackStarted = written
        }
    }

    /// Flushes and syncs the temporary file, so `written` bytes survive a crash.
    func sync() throws {
        flush()
        do { try file.sync() } catch { throw ReplayError.output(path: error.path, reason: error.reason) }
    }

    /// Dropped uncommitted, the file leaves its temporary file in place: a saved state records
    /// its length (the planner's checkpoint), and a restart carries on from there.
    func keepPartialFile() { file.keepsPartialFile = true }

    /// Flushes, syncs and renames the file into place.
    func commit() throws {
        flush()
        do { try file.commit() } catch { throw ReplayError.output(path: error.path, reason: error.reason) }
    }
}
