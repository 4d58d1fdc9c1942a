import DMLCore

/// The binary weights file: a model's architecture and parameters, content-addressed by the
/// SHA-256 of its bytes. Specified in docs/learning.md so that any language can read it:
///
///     offset  size      field
///     0       4         magic "DMLW"
///     4       1         version (1)
///     5       1         kind: 0 logistic, 1 softmax, 2 mlp
///     6       2         L, the number of layer widths (u16, little-endian)
///     8       4·L       the widths, input first (u32 each)
///     8+4L    4         P, the parameter count (u32), which must equal the architecture's
///     12+4L   4·P       the parameters, IEEE-754 float32 little-endian, in the flat layout
///
/// Nothing else: no timestamps or names, so that equal models have equal addresses.
public enum ModelWeights {
    public static let magic: [UInt8] = Array("DMLW".utf8)
    public static let version: UInt8 = 1

    /// The file's bytes for a model.
    public static func encode(_ model: Model) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + 4 * model.spec.layerWidths.count + 4 * model.parameters.count)
        writer.writeFixed(magic)
        writer.write(version)
        writer.write(kindCode(model.spec.kind))
        let widths = model.spec.layerWidths
        writer.write(UInt16(widths.count))
        for width in widths { writer.write(UInt32(width)) }
        writer.write(UInt32(model.parameters.count))
        for value in model.parameters { writer.write(value.bitPattern) }
        return writer.bytes
    }

    /// The model in a weights file, with every field checked.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Model {
        var reader = ByteReader(bytes)
        guard try reader.readFixed(4, "magic") == magic else {
            throw .invalidValue(field: "magic", offset: 0, reason: "not a DML weights file (expected \"DMLW\")")
        }
        let version = try reader.readUInt8("version")
        guard version == Self.version else {
            throw .invalidValue(field: "version", offset: 4, reason: "version \(version) is not supported (1 is)")
        }
        let kindByte = try reader.readUInt8("kind")
        guard let kind = kind(code: kindByte) else {
            throw .invalidValue(field: "kind", offset: 5, reason: "unknown model kind \(kindByte)")
        }
        let widthCount = Int(try reader.readUInt16("layer count"))
        guard (2...4).contains(widthCount) else {
            throw .invalidValue(field: "layer count", offset: 6, reason: "\(widthCount) layer widths; 2 to 4 expected")
        }
        var widths: [Int] = []
        for _ in 0..<widthCount { widths.append(Int(try reader.readUInt32("layer width"))) }
        let spec = ModelSpec(kind: kind, inputs: widths[0],
                             classes: kind == .logistic ? 2 : widths[widthCount - 1],
                             hidden: Array(widths[1..<(widthCount - 1)]))
        if let problem = spec.problem {
            throw .invalidValue(field: "architecture", offset: 8, reason: problem)
        }
        guard spec.layerWidths == widths else {
            throw .invalidValue(field: "layer widths", offset: 8, reason: "\(widths) does not fit a \(kind.rawValue) model")
        }
        let countOffset = reader.offset
        let count = Int(try reader.readUInt32("parameter count"))
        guard count == spec.parameterCount else {
            throw .invalidValue(field: "parameter count", offset: countOffset,
                                reason: "\(count) parameters, the architecture has \(spec.parameterCount)")
        }
        guard reader.remaining == 4 * count else {
            throw reader.remaining < 4 * count
                ? .truncated(field: "parameters", offset: reader.offset, needed: 4 * count, available: reader.remaining)
                : .trailingBytes(what: "weights file", offset: reader.offset + 4 * count, count: reader.remaining - 4 * count)
        }
        var parameters = [Float](repeating: 0, count: count)
        for index in 0..<count {
            let value = Float(bitPattern: try reader.readUInt32("parameter"))
            guard value.isFinite else {
                throw .invalidValue(field: "parameter", offset: reader.offset - 4, reason: "parameter \(index) is not finite")
            }
            parameters[index] = value
        }
        return Model(spec: spec, parameters: parameters)
    }

    /// The content address: SHA-256 of the file's bytes.
    public static func address(of model: Model) -> Hash256 {
        Hash256.of(encode(model))
    }

    private static func kindCode(_ kind: ModelSpec.Kind) -> UInt8 {
        switch kind {
        case .logistic: 0
        case .softmax: 1
        case .mlp: 2
        }
    }

    private static func kind(code: UInt8) -> ModelSpec.Kind? {
        switch code {
        case 0: .logistic
        case 1: .softmax
        case 2: .mlp
        default: nil
        }
    }
}
