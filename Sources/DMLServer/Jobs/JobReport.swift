import DMLCore
import DMLLedger
import DMLSandbox
import Foundation

/// A job's report (seed 002's "turning output data into reports"): the aggregate of every paid
/// result by the manifest's rule, what was paid to whom, and the receipts behind each payment.
/// Rendered as JSON, CSV (the aggregate table) and a self-contained HTML page with SVG charts.
struct JobReport: Codable, Sendable {
    struct Algorithm: Codable, Sendable {
        let name: String
        let version: String
        let address: String
        let aggregation: String
        let title: String
    }

    struct Column: Codable, Sendable {
        let name: String
        let count: Double
        let mean: Double
        let std: Double
        let min: Double
        let max: Double
    }

    struct Payment: Codable, Sendable {
        let device: String
        let paid: String
        let receipt: String
        let outputDigest: String
        let inputDigest: String
        let fuelUsed: UInt64
        let challenged: Bool
        let audited: Bool
        let transaction: String
        let height: UInt64
    }

    let job: JobView
    let algorithm: Algorithm
    let fields: [String]
    /// One value per field, or nil when there is nothing to aggregate yet.
    let aggregate: [Double]?
    let aggregateProblem: String?
    /// For `columnStats`: the derived per-column summary.
    let columns: [Column]?
    let results: Int
    let totalPaid: String
    let payments: [Payment]

    static func make(id: Identifier<Job>, job: Job, package: AlgorithmPackage, results: [JobBoard.StoredResult],
                     ledgerPayments: [(device: AccountID, payment: JobPayment)], sandbox: Sandbox) -> JobReport {
        let manifest = package.manifest
        // Only results the ledger paid count: the ledger is the truth about what was accepted.
        let paid = Dictionary(ledgerPayments.map { ($0.device, $0.payment) }, uniquingKeysWith: { first, _ in first })
        let counted = results.filter { paid[$0.device]?.output == Hash256.of($0.output) }
        let contributions = counted.map { Aggregation.Contribution(device: $0.device, output: $0.output) }
        var aggregate: [Double]?
        var problem: String?
        switch Aggregation.aggregate(contributions, package: package, sandbox: sandbox) {
        case .success(let values): aggregate = values
        case .failure(let error): problem = error.description
        }
        var columns: [Column]?
        if manifest.aggregation == .columnStats, let aggregate {
            columns = Aggregation.columnSummaries(aggregate).enumerated().map { index, summary in
                let name = manifest.output.fields[index * 5].split(separator: ".").first.map(String.init) ?? "c\(index)"
                return Column(name: name, count: summary.count, mean: summary.mean, std: summary.std, min: summary.min, max: summary.max)
            }
        }
        let receipts = Dictionary(results.map { ($0.device, $0) }, uniquingKeysWith: { first, _ in first })
        let payments = ledgerPayments.map { device, payment -> Payment in
            let stored = receipts[device]
            let receipt = stored.flatMap { try? JSONDecoder().decode(RunReceipt.self, from: Data($0.receipt.utf8)) }
            return Payment(device: device.address, paid: String(payment.paid.baseUnits), receipt: payment.receipt.hex,
                           outputDigest: payment.output.hex, inputDigest: receipt?.inputDigest.hex ?? "",
                           fuelUsed: receipt?.fuelUsed ?? 0, challenged: stored?.challenged ?? false,
                           audited: stored?.audited ?? false, transaction: stored?.transaction ?? "", height: payment.height)
        }
        let total = ledgerPayments.reduce(UInt64(0)) { $0 &+ $1.payment.paid.baseUnits }
        return JobReport(job: JobView(id: id, job: job),
                         algorithm: Algorithm(name: manifest.name, version: manifest.version, address: package.address.hex,
                                              aggregation: manifest.aggregation.rawValue,
                                              title: manifest.report?.title ?? manifest.name),
                         fields: manifest.output.fields, aggregate: aggregate, aggregateProblem: problem, columns: columns,
                         results: counted.count, totalPaid: String(total), payments: payments)
    }

    /// The aggregate as CSV: `field,value`, or for column statistics one row per column.
    var csv: String {
        var lines: [String]
        if let columns {
            lines = ["column,count,mean,std,min,max"] + columns.map {
                "\(Self.csvField($0.name)),\(Self.number($0.count)),\(Self.number($0.mean)),\(Self.number($0.std)),\(Self.number($0.min)),\(Self.number($0.max))"
            }
        } else {
            lines = ["field,value"] + zip(fields, aggregate ?? []).map { "\(Self.csvField($0)),\(Self.number($1))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.6g", value)
    }
}
