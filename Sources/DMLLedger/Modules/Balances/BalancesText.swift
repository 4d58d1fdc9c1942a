import DMLCore

// Hand-written text for the calls and events every transfer carries. The other modules' text
// comes from reflection (`String(describing:)`), which renders the same shape but was a tenth of
// the API's CPU under signed transfers (docs/benchmarks.md): these spell it out, identically.

extension BalancesCall: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .transfer(to, amount): "transfer(to: \(to), amount: \(amount))"
        case let .faucet(amount): "faucet(amount: \(amount))"
        }
    }
}

extension BalancesEvent: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .transferred(from, to, amount): "transferred(from: \(from), to: \(to), amount: \(amount))"
        case let .minted(to, amount): "minted(to: \(to), amount: \(amount))"
        case let .escrowed(from, escrow, amount): "escrowed(from: \(from), escrow: \(escrow), amount: \(amount))"
        case let .released(escrow, to, amount): "released(escrow: \(escrow), to: \(to), amount: \(amount))"
        }
    }
}
