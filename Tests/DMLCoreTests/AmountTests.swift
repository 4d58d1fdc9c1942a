import DMLCore
import Foundation
import Testing

@Suite struct AmountTests {
    @Test func additionThatOverflowsIsNilNotATrap() {
        #expect(Amount.max.adding(Amount(baseUnits: 1)) == nil)
        #expect(Amount(baseUnits: 2).adding(Amount(baseUnits: 3)) == Amount(baseUnits: 5))
    }

    @Test func subtractingMoreThanThereIsIsNil() {
        #expect(Amount(baseUnits: 2).subtracting(Amount(baseUnits: 3)) == nil)
        #expect(Amount(baseUnits: 3).subtracting(Amount(baseUnits: 3)) == .zero)
    }

    @Test func multiplicationAndSumsAreChecked() {
        #expect(Amount(baseUnits: .max / 2 + 1).multiplied(by: 2) == nil)
        #expect(Amount.sum([Amount.max, Amount(baseUnits: 1)]) == nil)
        #expect(Amount.sum([Amount(baseUnits: 1), Amount(baseUnits: 2)]) == Amount(baseUnits: 3))
        #expect(Amount.tokens(UInt64.max) == nil)
    }

    @Test func checkedArithmeticAgreesWithWideArithmeticOnRandomValues() {
        var random = TestGenerator()
        for _ in 0..<10_000 {
            let a = UInt64.random(in: 0...UInt64.max, using: &random) >> UInt64.random(in: 0...63, using: &random)
            let b = UInt64.random(in: 0...UInt64.max, using: &random) >> UInt64.random(in: 0...63, using: &random)
            let wideSum = UInt128(a) + UInt128(b)
            #expect(Amount(baseUnits: a).adding(Amount(baseUnits: b))?.baseUnits == (wideSum <= UInt128(UInt64.max) ? UInt64(wideSum) : nil),
                    "\(a) + \(b); \(random.reproduction)")
            #expect(Amount(baseUnits: a).subtracting(Amount(baseUnits: b))?.baseUnits == (a >= b ? a - b : nil), "\(a) - \(b); \(random.reproduction)")
        }
    }

    @Test(arguments: [
        ("0", 0), ("1", 1_000_000_000), ("0.5", 500_000_000), ("1.000000001", 1_000_000_001), ("12.25", 12_250_000_000),
    ] as [(String, UInt64)])
    func decimalTextParses(_ text: String, _ baseUnits: UInt64) {
        #expect(Amount(decimal: text)?.baseUnits == baseUnits)
        #expect(Amount(decimal: Amount(baseUnits: baseUnits).decimalString)?.baseUnits == baseUnits)
    }

    @Test(arguments: ["", "-1", "1.", ".5", "1.0000000001", "1e9", "abc", "1,5", "99999999999999999999", " 1"])
    func malformedDecimalTextIsRejected(_ text: String) {
        #expect(Amount(decimal: text) == nil)
    }

    @Test func descriptionTrimsTrailingZeros() {
        #expect(Amount(baseUnits: 1_500_000_000).description == "1.5 DML")
        #expect(Amount(baseUnits: 1).description == "0.000000001 DML")
    }
}

@Suite struct IdentifierTests {
    enum Widget {}
    enum Gadget {}

    @Test func identifiersCountUpAndStopAtTheEnd() {
        #expect(Identifier<Widget>(1).next == Identifier<Widget>(2))
        #expect(Identifier<Widget>(.max).next == nil)
        // Identifier<Widget> and Identifier<Gadget> are different types: mixing them does not compile.
        #expect(Identifier<Gadget>(7).rawValue == 7)
    }
}

/// SplitMix64 for the property tests: a fresh seed each run unless `DML_TEST_SEED` names one, so
/// a failure can be replayed from the seed its message gives.
struct TestGenerator: RandomNumberGenerator {
    let seed: UInt64
    private var state: UInt64

    init(seed: UInt64 = ProcessInfo.processInfo.environment["DML_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)) {
        self.seed = seed
        state = seed
    }

    /// What a failure message says, to run the same values again.
    var reproduction: String { "reproduce with DML_TEST_SEED=\(seed)" }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
