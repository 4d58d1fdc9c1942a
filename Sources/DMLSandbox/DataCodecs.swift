import Foundation

/// The input formats a device hands to a module, and the checks that run before any guest code.
public enum InputCodec {
    /// Why `input` does not fit `schema`, or nil.
    public static func problem(with input: [UInt8], schema: AlgorithmManifest.InputSchema) -> String? {
        if let max = schema.maxBytes, input.count > max { return "the input has \(input.count) bytes, at most \(max)" }
        guard input.count <= Int(Int32.max) else { return "the input has \(input.count) bytes, more than an i32 can address" }
        switch schema.format {
        case .bytes:
            return nil
        case .f32Matrix:
            guard input.count >= 8 else { return "an f32-matrix starts with 8 header bytes (rows, columns)" }
            let rows = Int(littleEndianUInt32(input, at: 0)), columns = Int(littleEndianUInt32(input, at: 4))
            if let expected = schema.columns, columns != expected { return "the matrix has \(columns) columns, the algorithm reads \(expected)" }
            let (cells, overflow) = rows.multipliedReportingOverflow(by: columns)
            // Checked arithmetic: the header is untrusted, and rows × columns may not fit.
            guard !overflow, cells <= (input.count - 8) / 4, 8 + cells * 4 == input.count else {
                let needed = overflow || cells > Int.max / 4 - 2 ? "more" : "\(8 + cells * 4)"
                return "\(rows) rows × \(columns) columns need \(needed) bytes, the input has \(input.count)"
            }
            for cell in 0..<cells where !Float(bitPattern: littleEndianUInt32(input, at: 8 + cell * 4)).isFinite {
                return "row \(cell / max(columns, 1) + 1), column \(cell % max(columns, 1) + 1) is not a finite number"
            }
            return nil
        }
    }

    /// A device's file in the input format `schema` names: a CSV of numbers becomes an
    /// f32-matrix (the last `dropColumns` columns, a label say, dropped); `bytes` stay as they are.
    public static func input(fromFile data: [UInt8], schema: AlgorithmManifest.InputSchema, dropColumns: Int = 0) throws(DataError) -> [UInt8] {
        switch schema.format {
        case .bytes:
            return data
        case .f32Matrix:
            let table = try rows(csv: String(decoding: data, as: UTF8.self), dropColumns: dropColumns)
            return matrix(table.rows, columns: table.columns)
        }
    }

    /// An f32-matrix from rows of numbers.
    public static func matrix(_ rows: [[Float]], columns: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + rows.count * columns * 4)
        append(UInt32(rows.count), to: &bytes)
        append(UInt32(columns), to: &bytes)
        for row in rows {
            for value in row { append(value.bitPattern, to: &bytes) }
        }
        return bytes
    }

    /// Reads a CSV of numbers (comma-separated; an optional header line of non-numbers is
    /// skipped) into rows, dropping the last `dropColumns` columns (a label, say).
    public static func rows(csv text: String, dropColumns: Int = 0) throws(DataError) -> (rows: [[Float]], columns: Int) {
        var rows: [[Float]] = []
        var columns: Int?
        for (index, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let numbers = fields.map { Float($0.trimmingCharacters(in: .whitespaces)) }
            if numbers.contains(where: { $0 == nil }) {
                if index == 0 && rows.isEmpty { continue }
                throw .notNumeric(line: index + 1)
            }
            let kept = numbers.dropLast(dropColumns).map { $0! }
            guard kept.allSatisfy(\.isFinite) else { throw .notNumeric(line: index + 1) }
            if let columns, kept.count != columns { throw .ragged(line: index + 1, columns: kept.count, expected: columns) }
            columns = kept.count
            rows.append(kept)
        }
        guard let columns, columns > 0 else { throw .empty }
        return (rows, columns)
    }

    static func littleEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}

public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    case notNumeric(line: Int)
    case ragged(line: Int, columns: Int, expected: Int)
    case empty

    public var description: String {
        switch self {
        case .notNumeric(let line): "line \(line) holds something that is not a finite number"
        case let .ragged(line, columns, expected): "line \(line) has \(columns) columns, earlier lines \(expected)"
        case .empty: "the file holds no rows of numbers"
        }
    }
}

/// The output formats, checked before a result is accepted.
public enum OutputCodec {
    public static func problem(with output: [UInt8], schema: AlgorithmManifest.OutputSchema) -> String? {
        switch schema.format {
        case .f64Vector:
            guard output.count == schema.fields.count * 8 else {
                return "the output has \(output.count) bytes, \(schema.fields.count) f64 values need \(schema.fields.count * 8)"
            }
            for (index, value) in vector(output).enumerated() where !value.isFinite {
                return "value \(index) ('\(schema.fields[index])') is not finite"
            }
            return nil
        }
    }

    /// The f64 values of an `f64-vector` (the caller checked the length).
    public static func vector(_ output: [UInt8]) -> [Double] {
        stride(from: 0, to: output.count - output.count % 8, by: 8).map { offset in
            var bits: UInt64 = 0
            for byte in 0..<8 { bits |= UInt64(output[offset + byte]) << UInt64(byte * 8) }
            return Double(bitPattern: bits)
        }
    }

    public static func bytes(_ vector: [Double]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 8)
        for value in vector {
            let bits = value.bitPattern
            for byte in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(byte * 8))) }
        }
        return bytes
    }
}
