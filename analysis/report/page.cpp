// page.cpp — a plain HTML page (analysis/report/page.h).
#include "analysis/report/page.h"

#include "analysis/report/svg.h"
#include "model/io/file_io.h"

namespace induction {

Page::Page(std::string title) : title_(std::move(title)) {}

void Page::heading(const std::string& text) { body_ += "<h2>" + svg::escape(text) + "</h2>\n"; }

void Page::paragraph(const std::string& text) { body_ += "<p>" + svg::escape(text) + "</p>\n"; }

void Page::figure(const std::string& svg, const std::string& caption) {
    body_ += "<figure>" + svg + "<figcaption>" + svg::escape(caption) + "</figcaption></figure>\n";
}

void Page::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    body_ += "<table><thead><tr>";
    for (const std::string& h : header) body_ += "<th>" + svg::escape(h) + "</th>";
    body_ += "</tr></thead><tbody>\n";
    for (const std::vector<std::string>& row : rows) {
        body_ += "<tr>";
        for (const std::string& cell : row) body_ += "<td>" + svg::escape(cell) + "</td>";
        body_ += "</tr>\n";
    }
    body_ += "</tbody></table>\n";
}

void Page::link(const std::string& href, const std::string& text) {
    body_ += "<p><a href=\"" + svg::escape(href) + "\">" + svg::escape(text) + "</a></p>\n";
}

std::string Page::html() const {
    return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + svg::escape(title_) +
           "</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
           "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
           "text-align:right}figure{margin:1em 0}figcaption{font-size:90%;color:#555}</style></head>\n<body>\n<h1>" +
           svg::escape(title_) + "</h1>\n" + body_ + "</body></html>\n";
}

void Page::write(const std::string& path) const { write_file_atomic(path, html()); }

}  // namespace induction
