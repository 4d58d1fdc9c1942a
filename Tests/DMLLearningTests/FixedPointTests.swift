import Testing
@testable import DMLLearning

@Suite struct FixedPointTests {
    @Test func theScaleIsTheLargestThatCannotOverflowASumOfAllContributors() throws {
        let code = try FixedPoint(clip: 1, maxContributors: 1000)
        #expect(code.scale == 2_147_483)
        #expect(code.levelMax == 2_147_483)
        #expect(abs(code.precision - 1.0 / 2_147_483) < 1e-15)
        #expect(try FixedPoint(clip: 0.5, maxContributors: 1).scale == 2_147_483_647 * 2)
        #expect(try FixedPoint(clip: 3, maxContributors: 7).scale == 102_261_126)
    }

    /// Within one step of the code, plus the rounding of the `Float` that comes back (which is
    /// the larger of the two when the scale is large).
    static func isClose(_ value: Float, to expected: Float, in code: FixedPoint) -> Bool {
        abs(Double(value) - Double(expected)) <= code.precision + Double(expected.ulp)
    }

    @Test(arguments: [(2, 10), (0.01, 1000), (100, 3)] as [(Float, Int)])
    func valuesInsideTheClipComeBackWithinOneStep(_ clip: Float, _ contributors: Int) throws {
        let code = try FixedPoint(clip: clip, maxContributors: contributors)
        var generator = SeededXoshiro(seed: 11)
        let values = (0..<1000).map { _ in Float.random(in: -clip...clip, using: &generator) } + [0, clip, -clip, 1e-9, -1e-9]
        let back = code.dequantize(try code.quantize(values))
        #expect(zip(back, values).allSatisfy { Self.isClose($0, to: $1, in: code) })
    }

    @Test func valuesBeyondTheClipAreClipped() throws {
        let code = try FixedPoint(clip: 2, maxContributors: 10)
        let back = code.dequantize(try code.quantize([5, -5, .infinity, -.infinity, 2.5, -2.000001]))
        #expect(zip(back, [2, -2, 2, -2, 2, -2] as [Float]).allSatisfy { Self.isClose($0, to: $1, in: code) })
    }

    @Test func nanIsRejectedWithItsIndex() throws {
        let code = try FixedPoint(clip: 1, maxContributors: 3)
        #expect(throws: SecAggError.notANumber(index: 1)) { try code.quantize([0, .nan, 1]) }
    }

    @Test(arguments: [
        (0, 10), (-1, 10), (.nan, 10), (.infinity, 10), (1, 0), (3e9, 1), (1, Int(Int32.max) + 1),
    ] as [(Float, Int)])
    func aCodeWithNoRoomIsRejected(_ clip: Float, _ contributors: Int) {
        #expect(throws: SecAggError.self) { try FixedPoint(clip: clip, maxContributors: contributors) }
    }

    /// Every contributor at +clip (or −clip) is the worst case; (0.5, 2) is the case where
    /// rounding alone would pass the bound (0.5 · scale = 1,073,741,823.5 rounds up).
    @Test(arguments: [(1, 10), (0.5, 2), (0.7, 3), (1e6, 1000), (3, 7), (1e-3, 255), (0.001, 1)] as [(Float, Int)])
    func aSumOfEveryContributorAtTheClipNeverOverflows(_ clip: Float, _ contributors: Int) throws {
        let code = try FixedPoint(clip: clip, maxContributors: contributors)
        for extreme in [clip, -clip, .infinity, -.infinity] {
            let word = try code.quantize([extreme])[0]
            let level = Int64(Int32(bitPattern: word))
            #expect(abs(level) <= Int64(Int32.max) / Int64(contributors))
            var sum: UInt32 = 0
            for _ in 0..<contributors { sum &+= word }
            #expect(Int64(Int32(bitPattern: sum)) == level * Int64(contributors))
            let back = Double(code.dequantize([sum])[0])
            let exact = Double(contributors) * Double(extreme.isInfinite ? (extreme > 0 ? clip : -clip) : extreme)
            #expect(abs(back - exact) <= Double(contributors) * code.precision + abs(exact) * 1e-6)
        }
    }

    @Test func aModularSumOfRandomUpdatesDequantizesToTheirSum() throws {
        let contributors = 50
        let code = try FixedPoint(clip: 1, maxContributors: contributors)
        var generator = SeededXoshiro(seed: 12)
        var sum = [UInt32](repeating: 0, count: 100)
        var exact = [Double](repeating: 0, count: 100)
        for _ in 0..<contributors {
            let values = (0..<100).map { _ in Float.random(in: -1.5...1.5, using: &generator) }
            let words = try code.quantize(values)
            for index in sum.indices {
                sum[index] &+= words[index]
                exact[index] += Double(min(max(values[index], -1), 1))
            }
        }
        let back = code.dequantize(sum)
        for index in sum.indices {
            #expect(abs(Double(back[index]) - exact[index]) <= Double(contributors) * code.precision / 2 + 1e-5)
        }
    }
}
