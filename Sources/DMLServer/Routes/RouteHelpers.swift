import DMLCore
import DMLLedger
import Hummingbird
import SQLKit

/// Positive whole-number ids in paths (`/v1/bounties/7`).
enum PathID {
    static func parse(_ context: APIContext, name: String = "id", what: String) throws -> UInt64 {
        let text = try context.parameters.require(name)
        // Ids are counters, stored as signed 64-bit integers in the index: none is higher.
        guard let value = UInt64(text), value > 0, value <= UInt64(Int64.max) else {
            throw APIError.badRequest("request.bad_path", "\(what) is a whole number from 1 to \(Int64.max)", field: name)
        }
        return value
    }
}

/// Case-insensitive substring search over index columns, with `%` and `_` taken literally.
enum SearchText {
    static let charactersMax = 100

    /// `%text%`, lowercased, for `LIKE`.
    static func pattern(_ text: String, field: String) throws(APIError) -> String {
        guard text.count <= charactersMax else {
            throw .badRequest("request.bad_query", "\(field) is at most \(charactersMax) characters", field: field)
        }
        return "%" + literal(text.lowercased()) + "%"
    }

    /// `text` without LIKE's wildcards, so a search for `50%` does not match everything.
    static func literal(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "")
    }

    /// ` WHERE a AND b …`, or nothing.
    static func whereClause(_ conditions: [SQLQueryString]) -> SQLQueryString {
        var clause: SQLQueryString = ""
        for (index, condition) in conditions.enumerated() { clause = index == 0 ? " WHERE " + condition : clause + " AND " + condition }
        return clause
    }
}

extension APIServer {
    /// A 403 unless `user` holds `role` on the ledger now (the ledger checks again when it applies
    /// the call; this refuses early and says why).
    func require(_ role: Role, _ user: SignedIn, to action: String) async throws {
        let account = user.account
        guard await ledger.reading({ Roles.has(role, account, in: $0) }) else {
            throw APIError(.forbidden, "auth.forbidden", "only a \(role) may \(action)")
        }
    }
}
