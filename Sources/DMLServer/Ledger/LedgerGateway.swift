import DMLCore
import DMLLedger
import DMLNode
import Foundation
import Hummingbird

/// How the API writes to the ledger: signed transactions go to the sequencer as they are; calls
/// made for custodial users are signed here, one at a time per account, so that each gets the
/// next nonce (a refused transaction does not use its nonce, so two in flight could clash).
///
/// Another process may sign for the same user at the same moment (several `dml serve` share one
/// database); the loser of that race is refused for its nonce and is signed again, fresh.
actor LedgerGateway {
    let ledger: LedgerAccess
    private var busy: Set<AccountID> = []
    private var waiting: [AccountID: [CheckedContinuation<Void, Never>]] = [:]
    static let nonceAttemptsMax = 4

    init(ledger: LedgerAccess) { self.ledger = ledger }

    /// Submits a transaction a client signed.
    nonisolated func submit(_ transaction: SignedTransaction) async throws(APIError) -> LedgerService.Inclusion {
        try await ledger.submit(transaction)
    }

    /// Signs `call` with `key` at the account's next nonce and submits it.
    func submit(_ call: Call, as key: AccountKey) async throws(APIError) -> LedgerService.Inclusion {
        let account = key.account
        await acquire(account)
        defer { release(account) }
        var attempt = 1
        while true {
            let nonce = await ledger.readingFresh { System.nextNonce(of: account, in: $0) }
            let transaction = SignedTransaction(chain: ledger.chainID, key: key, nonce: nonce, call: call)
            do {
                return try await ledger.submit(transaction)
            } catch where (error.code == "tx.nonce_already_used" || error.code == "tx.nonce_too_high") && attempt < Self.nonceAttemptsMax {
                attempt += 1
                try? await Task.sleep(for: .milliseconds(20 * attempt))
            }
        }
    }

    private func acquire(_ account: AccountID) async {
        if busy.insert(account).inserted { return }
        await withCheckedContinuation { waiting[account, default: []].append($0) }
    }

    private func release(_ account: AccountID) {
        if var queue = waiting[account], !queue.isEmpty {
            // Hand the account straight to the next waiter; it stays busy.
            let next = queue.removeFirst()
            waiting[account] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            busy.remove(account)
        }
    }
}

/// The ledger's answer to a write, as the API reports it: which transaction did it.
struct TransactionReceipt: Codable, Sendable {
    let hash: String
    let height: UInt64
    let index: Int
    let events: [EventView]

    init(_ inclusion: LedgerService.Inclusion) {
        hash = inclusion.hash.hex
        height = inclusion.height
        index = inclusion.index
        events = inclusion.events.map(EventView.init)
    }
}

/// An event as JSON: its module, its kind and its fields as text.
struct EventView: Codable, Sendable {
    let module: String
    let name: String
    let text: String

    init(_ event: Event) {
        module = event.module.description
        (name, text) = event.nameAndText
    }
}

extension APIError {
    /// A sequencer refusal with an honest status: 404 for what does not exist, 403 for what
    /// this signer may not do, 422 for values no state could accept, 409 for what the current
    /// state does not allow (a wrong status, a short balance, a used nonce).
    init(submit error: LedgerService.SubmitError) {
        switch error {
        case .rejected(let reason):
            self.init(Self.status(of: reason.code), reason.code, reason.description, details: ["ledger": "refused"])
        case .overloaded:
            self.init(.serviceUnavailable, "ledger.overloaded", error.description)
        case .stopped:
            self.init(.serviceUnavailable, "ledger.stopped", "the sequencer is stopped; retry against another process")
        case .storeFailed:
            self.init(.serviceUnavailable, "ledger.store_failed", error.description)
        }
    }

    static let forbiddenCodes: Set<String> = [
        "not_owner", "not_moderator", "not_allowed", "not_creator", "not_manager", "not_provider", "not_super_admin",
        "not_authorized", "not_issuer", "not_rate_permitted", "not_owner_or_moderator", "not_creator_or_moderator",
        "not_owner_or_manager", "not_manager_or_provider", "not_allowed_to_download", "owner_cannot_enroll",
        "creator_cannot_work", "own_algorithm", "not_node_of_bucket_cluster", "bad_signature", "invalid_signature",
        "not_validator", "not_requester_or_validator", "requester_cannot_work", "requester_cannot_train",
    ]

    static let invalidCodes: Set<String> = [
        "malformed", "malformed_call", "unknown_call", "wrong_chain", "field_too_long", "title_empty", "tag_empty",
        "dates_out_of_order", "zero_amount", "prize_zero", "no_prizes", "too_many_prizes", "too_many_tags",
        "prizes_overflow", "price_above_limit", "params_too_big", "invalid_params", "replication_out_of_range",
        "fee_too_high", "zero_resource", "task_end_too_early", "task_lifetime_too_long", "transfer_to_self", "wrong_winner_count",
        "duplicate_winner", "invalid_max_assignments", "invalid_pays_amount", "invalid_question",
        "invalid_result_submission", "missing_annotation_files", "missing_path", "missing_receipt", "too_many_items",
        "faucet_amount_too_large", "no_vnodes", "duplicate_vnode", "fee_without_destination",
        "zero_reward", "invalid_devices", "deadline_passed", "reward_overflow",
        "invalid_rounds", "invalid_devices_per_round", "privacy_without_dataset", "no_devices", "too_many_devices",
        "duplicate_device", "epsilon_too_large", "delta_too_large",
    ]

    static func status(of code: String) -> HTTPResponse.Status {
        let name = code.split(separator: ".", maxSplits: 1).last.map(String.init) ?? code
        if name.hasPrefix("unknown_") && name != "unknown_call" || name.hasSuffix("_not_found") { return .notFound }
        if forbiddenCodes.contains(name) { return .forbidden }
        if invalidCodes.contains(name) { return .unprocessableContent }
        return .conflict
    }
}
