import DMLCommands
import Foundation

// Errors are caught here and printed plainly: an error escaping `main` ends in a crash report.
await DMLMain.run()
