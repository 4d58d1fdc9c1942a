import Testing
@testable import DMLLearning

@Suite struct ShamirTests {
    // MARK: GF(2⁸)

    /// FIPS-197 §4.2 (0x57·0x83, 0x57·0x13), §4.2.1 (0x53⁻¹ = 0xCA), and the reduction step.
    @Test(arguments: [
        (0x57, 0x83, 0xC1), (0x57, 0x13, 0xFE), (0x57, 0x02, 0xAE), (0x57, 0x10, 0x07),
        (0x53, 0xCA, 0x01), (0x02, 0x80, 0x1B), (0x00, 0x8E, 0x00), (0x01, 0xAB, 0xAB),
    ] as [(UInt8, UInt8, UInt8)])
    func fieldMultiplicationMatchesFIPS197(_ a: UInt8, _ b: UInt8, _ product: UInt8) {
        #expect(GF256.multiply(a, b) == product)
        #expect(GF256.multiply(b, a) == product)
    }

    @Test func branchFreeMultiplicationAgreesWithSchoolbookMultiplicationEverywhere() {
        var mismatches = 0
        for a in 0...255 {
            for b in 0...255 where GF256.multiply(UInt8(a), UInt8(b)) != Self.schoolbook(a, b) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func everyNonZeroElementTimesItsInverseIsOne() {
        #expect((1...255).allSatisfy { GF256.multiply(UInt8($0), GF256.inverse(UInt8($0))) == 1 })
        #expect(GF256.inverse(0x53) == 0xCA)
    }

    /// Carry-less product of the two polynomials, then reduction by 0x11B: the definition.
    static func schoolbook(_ a: Int, _ b: Int) -> UInt8 {
        var product = 0
        for bit in 0..<8 where b >> bit & 1 == 1 { product ^= a << bit }
        for bit in stride(from: 14, through: 8, by: -1) where product >> bit & 1 == 1 { product ^= 0x11B << (bit - 8) }
        return UInt8(product)
    }

    // MARK: Sharing

    @Test func anyThresholdOfTheSharesRecoversTheSecret() throws {
        var generator = SeededXoshiro(seed: 1)
        let secret = Shamir.randomBytes(count: 32, using: &generator)
        let shares = try Shamir.split(secret: secret, threshold: 3, shareCount: 5, using: &generator)
        #expect(shares.map(\.x) == [1, 2, 3, 4, 5])
        var subsets = 0
        for a in 0..<5 {
            for b in (a + 1)..<5 {
                for c in (b + 1)..<5 {
                    #expect(try Shamir.combine([shares[c], shares[a], shares[b]], threshold: 3) == secret)
                    subsets += 1
                }
            }
        }
        #expect(subsets == 10)
        #expect(try Shamir.combine(shares, threshold: 3) == secret)
    }

    @Test func fewerSharesThanTheThresholdInterpolateToSomethingElse() throws {
        var generator = SeededXoshiro(seed: 2)
        let secret = Shamir.randomBytes(count: 32, using: &generator)
        let shares = try Shamir.split(secret: secret, threshold: 3, shareCount: 5, using: &generator)
        // Told the wrong threshold, Shamir cannot notice: the answer is just wrong.
        #expect(try Shamir.combine(Array(shares.prefix(2)), threshold: 2) != secret)
    }

    /// f(x) = 0x42 + x: f(1) = 0x43, f(2) = 0x40; λ₁ = 2/(2+1), λ₂ = 1/(1+2) in GF(2⁸).
    @Test func aLinePolynomialByHandGivesItsConstantTerm() throws {
        let shares = [ShamirShare(x: 1, y: [0x43]), ShamirShare(x: 2, y: [0x40])]
        #expect(try Shamir.combine(shares, threshold: 2) == [0x42])
        #expect(Shamir.lagrangeWeightsAtZero([1, 2]) == [GF256.multiply(2, GF256.inverse(3)), GF256.inverse(3)])
    }

    @Test func thresholdOneSharesAreTheSecretAndTheLargestSplitWorks() throws {
        var generator = SeededXoshiro(seed: 3)
        let secret: [UInt8] = [1, 2, 3, 4]
        #expect(try Shamir.split(secret: secret, threshold: 1, shareCount: 3, using: &generator).allSatisfy { $0.y == secret })
        let all = try Shamir.split(secret: secret, threshold: 255, shareCount: 255, using: &generator)
        #expect(all.last?.x == 255)
        #expect(try Shamir.combine(Array(all.reversed()), threshold: 255) == secret)
        #expect(try Shamir.split(secret: [], threshold: 2, shareCount: 3, using: &generator).allSatisfy { $0.y.isEmpty })
    }

    @Test func badSplitParametersAreRejected() {
        var generator = SeededXoshiro(seed: 4)
        #expect(throws: SecAggError.invalidThreshold(threshold: 0, shareCount: 5)) {
            try Shamir.split(secret: [1], threshold: 0, shareCount: 5, using: &generator)
        }
        #expect(throws: SecAggError.invalidThreshold(threshold: 6, shareCount: 5)) {
            try Shamir.split(secret: [1], threshold: 6, shareCount: 5, using: &generator)
        }
        #expect(throws: SecAggError.tooManyShares(count: 256, max: 255)) {
            try Shamir.split(secret: [1], threshold: 2, shareCount: 256, using: &generator)
        }
    }

    @Test func badSharesAreRejected() {
        let good = [ShamirShare(x: 1, y: [7, 7]), ShamirShare(x: 2, y: [8, 8]), ShamirShare(x: 3, y: [9, 9])]
        #expect(throws: SecAggError.tooFewShares(count: 3, needed: 4)) { try Shamir.combine(good, threshold: 4) }
        #expect(throws: SecAggError.invalidThreshold(threshold: 0, shareCount: 3)) { try Shamir.combine(good, threshold: 0) }
        #expect(throws: SecAggError.shareXZero) {
            try Shamir.combine([ShamirShare(x: 0, y: [1, 1])] + good, threshold: 2)
        }
        #expect(throws: SecAggError.duplicateShareX(2)) {
            try Shamir.combine(good + [ShamirShare(x: 2, y: [1, 1])], threshold: 2)
        }
        #expect(throws: SecAggError.shareLengthMismatch(expected: 2, found: 3)) {
            try Shamir.combine(good + [ShamirShare(x: 4, y: [1, 1, 1])], threshold: 2)
        }
    }
}
