import DMLCore
import DMLLearning
import DMLLedger
import Foundation

/// A federated job's report: the plan, the stated privacy guarantee, and per round the
/// accuracy and loss on the requester's evaluation data, devices, dropouts and payouts.
struct FederatedReport: Encodable, Sendable {
    let job: UInt64
    let status: String
    let plan: FederatedPlan
    let privacy: PrivacyGuarantee?
    /// ε spent per device after each recorded round (the accountant over the rounds so far);
    /// nil without differential privacy.
    let epsilonByRound: [Double]?
    let rounds: [RoundRecord]
    let payouts: [RoundPayout]
    let totalPaid: String
    let rewardsHeld: String
    let finalModel: String?

    struct RoundPayout: Encodable, Sendable {
        let round: Int
        let devices: [String]
        let paid: String
    }

    var csv: String {
        var text = "round,devices,dropouts,accuracy,loss,training_loss,epsilon,paid,model\n"
        for (index, record) in rounds.enumerated() {
            let paid = payouts.first { $0.round == record.round }?.paid ?? "0"
            text += "\(record.round),\(record.devices),\(record.dropouts),\(record.accuracy.map { String($0) } ?? ""),"
                + "\(record.loss.map { String($0) } ?? ""),\(record.trainingLoss),\(epsilon(at: index).map { String($0) } ?? ""),\(paid),\(record.model)\n"
        }
        return text
    }

    var html: String {
        let e = JobReport.escape
        var page = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Federated job \(job)</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1f24}
        table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccd;padding:.3rem .6rem;text-align:right}
        th:first-child,td:first-child{text-align:left}code{font-size:.85em;word-break:break-all}
        figure{margin:1rem 0}figcaption{font-weight:600}
        </style></head><body>
        <h1>Federated job \(job)</h1>
        <p>Status <strong>\(e(status))</strong> · model <strong>\(e(plan.model.kind.rawValue))</strong> · strategy
        <strong>\(e(plan.strategy.name))</strong> · \(plan.rounds) rounds of up to \(plan.devicesPerRound) devices (at least \(plan.minimumDevices)) ·
        secure aggregation <strong>\(plan.secureAggregation == nil ? "off" : "on")</strong></p>
        <table><caption>Summary</caption><tbody>
        <tr><th scope="row">Privacy</th><td>\(e(privacyText))</td></tr>
        <tr><th scope="row">Rounds recorded</th><td>\(rounds.count)</td></tr>
        <tr><th scope="row">Paid in total</th><td>\(JobReport.dml(totalPaid))</td></tr>
        <tr><th scope="row">Still held in escrow</th><td>\(JobReport.dml(rewardsHeld))</td></tr>
        <tr><th scope="row">Final model</th><td><code>\(e(finalModel ?? "—"))</code></td></tr>
        </tbody></table>

        """
        let accuracy = rounds.compactMap { record in record.accuracy.map { (record.round, $0) } }
        if !accuracy.isEmpty {
            page += Self.lineChart(title: "Accuracy on the requester's evaluation data", points: accuracy, range: 0...1)
        }
        let loss = rounds.compactMap { record in record.loss.map { (record.round, $0) } }
        if !loss.isEmpty {
            page += Self.lineChart(title: "Loss on the evaluation data", points: loss, range: 0...max(loss.map(\.1).max() ?? 1, 1e-9))
        }
        page += Self.lineChart(title: "Devices per round", points: rounds.map { ($0.round, Double($0.devices)) },
                               range: 0...Double(max(plan.devicesPerRound, 1)))
        page += "<table><caption>Rounds</caption><thead><tr><th scope=\"col\">Round</th><th scope=\"col\">Devices</th><th scope=\"col\">Dropouts</th><th scope=\"col\">Accuracy</th><th scope=\"col\">Loss</th><th scope=\"col\">Training loss</th><th scope=\"col\">ε spent</th><th scope=\"col\">Paid</th><th scope=\"col\">Model</th></tr></thead><tbody>\n"
        for (index, record) in rounds.enumerated() {
            let paid = payouts.first { $0.round == record.round }?.paid ?? "0"
            page += "<tr><td>\(record.round)</td><td>\(record.devices)</td><td>\(record.dropouts)</td><td>\(record.accuracy.map { String(format: "%.4f", $0) } ?? "—")</td><td>\(record.loss.map { String(format: "%.4f", $0) } ?? "—")</td><td>\(String(format: "%.4f", record.trainingLoss))</td><td>\(epsilon(at: index).map { String(format: "%.3f", $0) } ?? "—")</td><td>\(JobReport.dml(paid))</td><td><code>\(e(record.model))</code></td></tr>\n"
        }
        page += "</tbody></table>\n<h2>Payouts</h2>\n<table><thead><tr><th scope=\"col\">Round</th><th scope=\"col\">Devices paid</th><th scope=\"col\">Paid</th></tr></thead><tbody>\n"
        for payout in payouts {
            page += "<tr><td>\(payout.round)</td><td><code>\(e(payout.devices.joined(separator: " ")))</code></td><td>\(JobReport.dml(payout.paid))</td></tr>\n"
        }
        return page + "</tbody></table>\n</body></html>\n"
    }

    func epsilon(at index: Int) -> Double? {
        guard let epsilonByRound, epsilonByRound.indices.contains(index) else { return nil }
        return epsilonByRound[index]
    }

    /// ε per device after each of `rounds`: the plan's accountant over the first r rounds.
    static func epsilonByRound(plan: FederatedPlan, rounds: [RoundRecord], delta: Double) -> [Double]? {
        guard let whole = try? plan.privacyGuarantee(delta: delta) else { return nil }
        return rounds.map { record in
            var partial = plan
            partial.rounds = min(max(1, record.round), plan.rounds)
            // The whole run's ε bounds every prefix of it.
            return (try? partial.privacyGuarantee(delta: delta))?.epsilon ?? whole.epsilon
        }
    }

    var privacyText: String {
        guard let privacy else { return "no differential privacy" }
        return String(format: "%@-level (ε = %.3f, δ = %g) by the %@ accountant: noise σ = %.3f, sampling rate %.3g, %d steps, clip %.3g",
                      privacy.level.rawValue, privacy.epsilon, privacy.delta, privacy.accountant, privacy.noiseMultiplier,
                      privacy.samplingRate, privacy.steps, privacy.clipBound)
    }

    /// A line chart as inline SVG, with its values in a title per point for screen readers.
    static func lineChart(title: String, points: [(Int, Double)], range: ClosedRange<Double>) -> String {
        let width = 640.0, height = 220.0, left = 48.0, bottom = 24.0, top = 10.0
        let rounds = max((points.map(\.0).max() ?? 1), 1)
        let span = max(range.upperBound - range.lowerBound, 1e-12)
        func x(_ round: Int) -> Double { left + (width - left - 10) * Double(round) / Double(rounds) }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (1 - (min(max(value, range.lowerBound), range.upperBound) - range.lowerBound) / span) }
        let path = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
        var svg = "<figure><figcaption>\(JobReport.escape(title))</figcaption>\n"
        svg += "<svg role=\"img\" aria-label=\"\(JobReport.escape(title))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\">\n"
        svg += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#889\"/>", left, height - bottom, width - 10, height - bottom)
        svg += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#889\"/>\n", left, top, left, height - bottom)
        svg += String(format: "<text x=\"4\" y=\"%.0f\" font-size=\"11\">%@</text><text x=\"4\" y=\"%.0f\" font-size=\"11\">%@</text>\n",
                      top + 10, JobReport.number(range.upperBound), height - bottom, JobReport.number(range.lowerBound))
        svg += String(format: "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">round %d</text>\n", width - 70, height - 6, rounds)
        svg += "<polyline fill=\"none\" stroke=\"#2a6fdb\" stroke-width=\"2\" points=\"\(path)\"/>\n"
        for (round, value) in points {
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#2a6fdb\"><title>round %d: %@</title></circle>\n",
                          x(round), y(value), round, JobReport.number(value))
        }
        return svg + "</svg></figure>\n"
    }
}
