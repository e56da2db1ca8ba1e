import Foundation

/// How long a command keeps trying, when it starts, a NATS server that is up but does not answer
/// in time (a tap, the planner, `flowcast policies`).
public let natsStartPatience: Duration = .seconds(30)

/// Runs `start` (connect, make sure streams and consumers exist) and runs it again while it fails
/// with a timeout, for up to `patience`, each time saying so through `log`. A refusal or any other
/// error is thrown at once, as is the last timeout once `patience` has passed. On a loaded
/// two-core machine a tap gave up at its first timeout while the taps started with it got through;
/// the planner and the policy reader start the same way.
public func retryingStartTimeouts<T>(patience: Duration = natsStartPatience, log: (String) -> Void,
                                     _ start: () throws(NATSError) -> T) throws(NATSError) -> T {
    let clock = ContinuousClock(), deadline = clock.now + patience
    while true {
        do {
            return try start()
        } catch where error.isTimeout && clock.now < deadline {
            log("\(error.description): no answer in time; trying again")
            usleep(500_000)
        }
    }
}
