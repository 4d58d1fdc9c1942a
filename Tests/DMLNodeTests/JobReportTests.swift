import DMLCore
import DMLLedger
@testable import DMLServer
import Foundation
import Testing

/// The report's renderings, on hand-made reports.
@Suite struct JobReportTests {
    func report(fields: [String], aggregate: [Double], title: String = "Label counts") -> JobReport {
        let draft = JobDraft(algorithm: .zero, artifact: ContentAddress(digest: .zero), devices: 2, rewardPerDevice: .tokens(1)!,
                             deadline: 1, validator: AccountKey.insecureDerived(from: "validator").account)
        let job = Job(requester: AccountKey.insecureDerived(from: "requester").account, draft: draft, height: 1, rewardsHeld: .tokens(1)!)
        return JobReport(job: JobView(id: Identifier(1), job: job),
                         algorithm: .init(name: "n", version: "1", address: Hash256.zero.hex, aggregation: "sum", title: title),
                         fields: fields, aggregate: aggregate, aggregateProblem: nil, columns: nil, results: 2,
                         totalPaid: "1500000000", payments: [])
    }

    @Test func labelCountsPerMonthGetOneChartPerMonth() {
        let html = report(fields: ["2024-01/cat", "2024-01/dog", "2024-02/cat", "2024-02/dog"], aggregate: [3, 4, 5, 0]).html
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.contains("Label counts — 2024-01") && html.contains("Label counts — 2024-02"))
        #expect(html.contains(">cat</text>"))
        #expect(report(fields: ["a", "b/c"], aggregate: [1, 2]).html.components(separatedBy: "<svg").count - 1 == 1)
    }

    @Test func textFromAuthorsIsEscapedAndAmountsReadAsDML() {
        let hostile = report(fields: ["<script>alert(1)</script>", "a,b"], aggregate: [1, -2.5], title: "\"><img src=x>").html
        #expect(!hostile.contains("<script>") && !hostile.contains("<img"))
        #expect(hostile.contains("&lt;script&gt;"))
        #expect(hostile.contains("1.5 DML"))
        let csv = report(fields: ["a,b", "plain"], aggregate: [1, 0.25]).csv
        #expect(csv == "field,value\n\"a,b\",1\nplain,0.25\n")
    }
}
