import Foundation

/// A clock that only moves when told to: deterministic block timestamps for simulations.
public final class ManualClock: @unchecked Sendable {
    // @unchecked: every access to `now` holds `lock`.
    private let lock = NSLock()
    private var now: UInt64

    public init(startMilliseconds: UInt64) { now = startMilliseconds }

    public func advance(byMilliseconds delta: UInt64) { lock.withLock { now += delta } }

    public var milliseconds: UInt64 { lock.withLock { now } }

    public var function: @Sendable () -> UInt64 { { self.milliseconds } }
}





