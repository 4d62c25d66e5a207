import Foundation

/// Pieces shared by the pages RadLens writes itself (evaluation page, batch worklist): escaping,
/// the common style and the research-use banner. Pages are self-contained: no external URL.
public enum HTMLPage {
    /// `text` made safe for HTML content and quoted attribute values.
    public static func escape(_ text: String) -> String {
        // Scalar by scalar: a quote followed by a combining mark is one Character, and must still be escaped.
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// A relative path as an href attribute value: each component percent-encoded except
    /// unreserved characters (so no name can read as a scheme such as "javascript:"), the slashes kept.
    public static func href(_ relativePath: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return relativePath.split(separator: "/", omittingEmptySubsequences: false).map {
            $0 == ".." ? ".." : ($0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")
        }.joined(separator: "/")
    }

    /// A PNG as a data URI.
    public static func dataURI(png: [UInt8]) -> String {
        "data:image/png;base64," + Data(png).base64EncodedString()
    }

    /// The document up to and including the banner; `style` is added to the common style.
    public static func head(title: String, style: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
        .banner { background: #b00020; color: #fff; padding: .6em 1em; font-weight: bold; }
        table { border-collapse: collapse; margin: 1em 0; }
        th, td { border: 1px solid #ccc; padding: .3em .7em; text-align: left; vertical-align: middle; }
        th { background: #f2f2f2; }
        .positive { color: #b00020; font-weight: bold; } .indeterminate { color: #a06000; font-weight: bold; }
        .negative { color: #006020; } .error { color: #b00020; }
        .muted { color: #666; font-size: .9em; }
        \(style)
        </style>
        </head>
        <body>
        <div class="banner">\(escape(AnalysisReport.disclaimer))</div>

        """
    }

    /// The end of the document.
    public static let tail = "</body>\n</html>\n"
}
