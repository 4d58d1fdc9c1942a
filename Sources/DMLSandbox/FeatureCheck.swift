import WasmParser

/// Fixes the WebAssembly features a module may use: the MVP plus what clang emits by default for
/// `--target=wasm32` (reference types, for `call_indirect`'s table index; bulk memory, sign
/// extension, non-trapping conversions and multi-value, always on in WasmKit). WasmKit 0.4.2
/// decodes and runs SIMD and atomics whatever its feature flags say, so the host walks every
/// function body once (the parsed module is cached) and refuses SIMD, threads (atomics), tail
/// calls, exception handling, typed function references and GC: less host surface, and every
/// run stays deterministic.
enum FeatureCheck {
    /// The first forbidden proposal the module uses, or nil.
    static func forbiddenFeature(in bytes: [UInt8]) -> String? {
        var parser = Parser(bytes: bytes, features: .all)
        var checker = Checker()
        do {
            while let payload = try parser.parseNext() {
                guard case .codeSection(let bodies) = payload else { continue }
                for body in bodies {
                    var expression = ExpressionParser(code: body)
                    while let visit = try expression.parse() {
                        try visit(visitor: &checker)
                    }
                }
            }
        } catch let forbidden as Forbidden {
            return forbidden.proposal
        } catch {
            return nil // Malformed code is reported by the real parse, with its own message.
        }
        return nil
    }

    struct Forbidden: Error {
        let proposal: String
    }

    struct Checker: AnyInstructionVisitor {
        typealias VisitorError = any Error
        var binaryOffset: Int = 0

        mutating func visit(_ instruction: Instruction) throws {
            switch instruction {
            case .simd, .simdLane, .simdMemLane, .v128Const, .i8x16Shuffle:
                throw Forbidden(proposal: "SIMD")
            case .load(let operation, _):
                try Self.check(memoryOperation: "\(operation)")
            case .store(let operation, _):
                try Self.check(memoryOperation: "\(operation)")
            case .atomicFence, .memoryAtomicNotify, .memoryAtomicWait32, .memoryAtomicWait64, .i32AtomicRmwAdd, .i64AtomicRmwAdd, .i32AtomicRmw8AddU, .i32AtomicRmw16AddU, .i64AtomicRmw8AddU, .i64AtomicRmw16AddU, .i64AtomicRmw32AddU, .i32AtomicRmwSub, .i64AtomicRmwSub, .i32AtomicRmw8SubU, .i32AtomicRmw16SubU, .i64AtomicRmw8SubU, .i64AtomicRmw16SubU, .i64AtomicRmw32SubU, .i32AtomicRmwAnd, .i64AtomicRmwAnd, .i32AtomicRmw8AndU, .i32AtomicRmw16AndU, .i64AtomicRmw8AndU, .i64AtomicRmw16AndU, .i64AtomicRmw32AndU, .i32AtomicRmwOr, .i64AtomicRmwOr, .i32AtomicRmw8OrU, .i32AtomicRmw16OrU, .i64AtomicRmw8OrU, .i64AtomicRmw16OrU, .i64AtomicRmw32OrU, .i32AtomicRmwXor, .i64AtomicRmwXor, .i32AtomicRmw8XorU, .i32AtomicRmw16XorU, .i64AtomicRmw8XorU, .i64AtomicRmw16XorU, .i64AtomicRmw32XorU, .i32AtomicRmwXchg, .i64AtomicRmwXchg, .i32AtomicRmw8XchgU, .i32AtomicRmw16XchgU, .i64AtomicRmw8XchgU, .i64AtomicRmw16XchgU, .i64AtomicRmw32XchgU, .i32AtomicRmwCmpxchg, .i64AtomicRmwCmpxchg, .i32AtomicRmw8CmpxchgU, .i32AtomicRmw16CmpxchgU, .i64AtomicRmw8CmpxchgU, .i64AtomicRmw16CmpxchgU, .i64AtomicRmw32CmpxchgU:
                throw Forbidden(proposal: "threads (atomics)")
            case .returnCall, .returnCallIndirect:
                throw Forbidden(proposal: "tail calls")
            case .throw, .throwRef, .tryTable:
                throw Forbidden(proposal: "exception handling")
            case .callRef, .returnCallRef, .refAsNonNull, .brOnNull, .brOnNonNull, .refI31, .i31GetS, .i31GetU,
                 .structNew, .structNewDefault, .structGet, .structGetS, .structGetU, .structSet, .arrayNew,
                 .arrayNewDefault, .arrayNewFixed, .arrayGet, .arrayGetS, .arrayGetU, .arraySet, .arrayLen, .refEq,
                 .anyConvertExtern, .externConvertAny, .arrayNewData, .arrayNewElem, .arrayFill, .arrayCopy,
                 .arrayInitData, .arrayInitElem, .refTest, .refCast, .brOnCast, .brOnCastFail:
                throw Forbidden(proposal: "typed function references / GC")
            default:
                return
            }
        }

        private static func check(memoryOperation name: String) throws {
            if name.hasPrefix("v128") { throw Forbidden(proposal: "SIMD") }
            if name.contains("Atomic") { throw Forbidden(proposal: "threads (atomics)") }
        }
    }
}
