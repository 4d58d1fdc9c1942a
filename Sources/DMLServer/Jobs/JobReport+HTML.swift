import Foundation

/// The report as one HTML page a person reads in a browser: no scripts, no external files,
/// charts drawn as inline SVG, tables with headers for screen readers.
extension JobReport {
    var html: String {
        var page = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Self.escape(algorithm.title)) — job \(job.id)</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1f24}
        table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccd;padding:.3rem .6rem;text-align:right}
        th:first-child,td:first-child{text-align:left}code{font-size:.85em;word-break:break-all}
        figure{margin:1rem 0}figcaption{font-weight:600}
        </style></head><body>
        <h1>\(Self.escape(algorithm.title))</h1>
        <p>Job <strong>\(job.id)</strong> · status <strong>\(job.status)</strong> · algorithm
        <strong>\(Self.escape(algorithm.name)) \(Self.escape(algorithm.version))</strong> (<code>\(algorithm.address)</code>) ·
        aggregation <strong>\(algorithm.aggregation)</strong></p>
        <table><caption>Summary</caption><tbody>
        <tr><th scope="row">Results aggregated</th><td>\(results) of \(job.devices) devices</td></tr>
        <tr><th scope="row">Reward per device</th><td>\(Self.dml(job.rewardPerDevice))</td></tr>
        <tr><th scope="row">Paid in total</th><td>\(Self.dml(totalPaid))</td></tr>
        <tr><th scope="row">Still held in escrow</th><td>\(Self.dml(job.rewardsHeld))</td></tr>
        </tbody></table>

        """
        if let problem = aggregateProblem {
            page += "<p role=\"status\">No aggregate yet: \(Self.escape(problem)).</p>\n"
        } else if let columns {
            page += Self.barChart(title: "Mean of each column", labels: columns.map(\.name), values: columns.map(\.mean))
            page += "<table><caption>Per-column statistics</caption><thead><tr><th scope=\"col\">Column</th><th scope=\"col\">Count</th><th scope=\"col\">Mean</th><th scope=\"col\">Std</th><th scope=\"col\">Min</th><th scope=\"col\">Max</th></tr></thead><tbody>\n"
            for column in columns {
                page += "<tr><td>\(Self.escape(column.name))</td><td>\(Self.number(column.count))</td><td>\(Self.number(column.mean))</td><td>\(Self.number(column.std))</td><td>\(Self.number(column.min))</td><td>\(Self.number(column.max))</td></tr>\n"
            }
            page += "</tbody></table>\n"
        } else if let aggregate {
            // Fields named `group/label` (label counts per month, as the original prototype's
            // report had) get one chart per group; anything else one chart.
            let groups = Self.groups(fields)
            if groups.count > 1 {
                for (group, indices) in groups {
                    page += Self.barChart(title: "\(algorithm.title) — \(group)", labels: indices.map { String(fields[$0].dropFirst(group.count + 1)) },
                                          values: indices.map { aggregate[$0] })
                }
            } else {
                page += Self.barChart(title: algorithm.title, labels: fields, values: aggregate)
            }
            page += "<table><caption>Aggregate (\(algorithm.aggregation))</caption><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Value</th></tr></thead><tbody>\n"
            for (field, value) in zip(fields, aggregate) {
                page += "<tr><td>\(Self.escape(field))</td><td>\(Self.number(value))</td></tr>\n"
            }
            page += "</tbody></table>\n"
        }
        page += "<h2>Payments and receipts</h2>\n"
        page += "<table><thead><tr><th scope=\"col\">Device</th><th scope=\"col\">Paid</th><th scope=\"col\">Fuel</th><th scope=\"col\">Checked</th><th scope=\"col\">Receipt</th><th scope=\"col\">Output digest</th><th scope=\"col\">Transaction</th></tr></thead><tbody>\n"
        for payment in payments {
            let checks = [payment.challenged ? "challenge re-run" : nil, payment.audited ? "input re-run" : nil].compactMap { $0 }
            page += "<tr><td><code>\(payment.device)</code></td><td>\(Self.dml(payment.paid))</td><td>\(payment.fuelUsed)</td><td>\(checks.isEmpty ? "signature" : checks.joined(separator: ", "))</td><td><code>\(payment.receipt)</code></td><td><code>\(payment.outputDigest)</code></td><td><code>\(payment.transaction)</code> (block \(payment.height))</td></tr>\n"
        }
        page += "</tbody></table>\n</body></html>\n"
        return page
    }

    /// Field indices by the part before `/`, in first-seen order; one group when any field lacks it.
    static func groups(_ fields: [String]) -> [(String, [Int])] {
        var order: [String] = []
        var members: [String: [Int]] = [:]
        for (index, field) in fields.enumerated() {
            guard let slash = field.firstIndex(of: "/"), slash != field.startIndex else { return [("", Array(fields.indices))] }
            let group = String(field[..<slash])
            if members[group] == nil { order.append(group) }
            members[group, default: []].append(index)
        }
        return order.map { ($0, members[$0] ?? []) }
    }

    /// A horizontal bar chart; negative values draw to the left of the axis.
    static func barChart(title: String, labels: [String], values: [Double]) -> String {
        let rowHeight = 22, labelWidth = 140, plotWidth = 520, height = rowHeight * values.count + 30
        let low = min(0, values.min() ?? 0), high = max(0, values.max() ?? 0)
        let span = high - low > 0 ? high - low : 1
        func x(_ value: Double) -> Int { labelWidth + Int(Double(plotWidth) * (value - low) / span) }
        var svg = "<figure><figcaption>\(escape(title))</figcaption>\n"
        svg += "<svg role=\"img\" aria-label=\"\(escape(title))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + plotWidth + 90)\" height=\"\(height)\" font-size=\"12\">\n"
        for (index, (label, value)) in zip(labels, values).enumerated() {
            let y = index * rowHeight + 10
            let start = min(x(0), x(value)), width = max(1, abs(x(value) - x(0)))
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 14)\" text-anchor=\"end\">\(escape(label))</text>"
            svg += "<rect x=\"\(start)\" y=\"\(y + 2)\" width=\"\(width)\" height=\"\(rowHeight - 6)\" fill=\"#3b6ea8\"><title>\(escape(label)): \(number(value))</title></rect>"
            svg += "<text x=\"\(max(x(0), x(value)) + 4)\" y=\"\(y + 14)\">\(number(value))</text>\n"
        }
        svg += "<line x1=\"\(x(0))\" y1=\"6\" x2=\"\(x(0))\" y2=\"\(height - 14)\" stroke=\"#555\"/>\n</svg></figure>\n"
        return svg
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Base units as DML with up to nine decimals.
    static func dml(_ baseUnits: String) -> String {
        guard let units = UInt64(baseUnits) else { return baseUnits }
        let whole = units / 1_000_000_000, fraction = units % 1_000_000_000
        guard fraction > 0 else { return "\(whole) DML" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits) DML"
    }
}
