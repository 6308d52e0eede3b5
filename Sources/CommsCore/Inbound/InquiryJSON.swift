import Foundation

/// Inquiries as JSON for scripts (`commsd inbox … --json`) and the API
/// (`GET /v1/inquiries`): the stored fields, snake_case, sorted keys.
public enum InquiryJSON {
  public static func object(_ inquiry: Inquiry) -> String { JSONCoding.string(inquiry) }

  public static func array(_ inquiries: [Inquiry]) -> String {
    "[" + inquiries.map(object).joined(separator: ",") + "]"
  }
}
