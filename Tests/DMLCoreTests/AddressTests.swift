@testable import DMLCore
import Testing

@Suite struct AddressTests {
    let account = AccountKey.insecureDerived(from: "address-test").account

    @Test func anAddressRoundTrips() throws {
        let address = account.address
        #expect(address.hasPrefix("dml1"))
        #expect(address.count == 62)
        #expect(try AccountID(address: address) == account)
        #expect(try AccountID(address: address.uppercased()) == account)
    }

    @Test func everySingleCharacterTypoIsRejected() {
        let characters = Array(account.address)
        for index in 4..<characters.count {
            for replacement in Bech32m.charset.map({ Character(UnicodeScalar($0)) }) where replacement != characters[index] {
                var typo = characters
                typo[index] = replacement
                #expect(throws: AddressError.self) { try AccountID(address: String(typo)) }
            }
        }
    }

    @Test func swappedNeighboursAreRejected() {
        let characters = Array(account.address)
        for index in 4..<(characters.count - 1) where characters[index] != characters[index + 1] {
            var swapped = characters
            swapped.swapAt(index, index + 1)
            #expect(throws: AddressError.self) { try AccountID(address: String(swapped)) }
        }
    }

    @Test func wrongPrefixMixedCaseAndWrongLengthAreRejectedWithAReason() {
        func reason(_ text: String) -> String? {
            do { _ = try AccountID(address: text); return nil } catch { return error.reason }
        }
        #expect(reason("btc" + account.address.dropFirst(3))?.contains("prefix") == true)
        let mixed = "dml1" + account.address.dropFirst(4).prefix(1).uppercased() + account.address.dropFirst(5)
        #expect(reason(mixed)?.contains("mixes") == true)
        #expect(reason(Bech32m.encode(humanPart: "dml", data: [1, 2, 3])) == "decodes to 3 bytes, an account key has 32")
        #expect(reason("dml1") != nil)
        #expect(reason("dml1b" + account.address.dropFirst(5))?.contains("not in the address alphabet") == true)
    }

    @Test func bip350ValidVectorsDecode() throws {
        // From BIP-350's list of valid Bech32m strings.
        #expect(try Bech32m.decode("a1lqfn3a", humanPart: "a") == [])
        #expect(try Bech32m.decode("abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", humanPart: "abcdef").count == 20)
    }
}
