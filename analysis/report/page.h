// page.h — a plain self-contained HTML page of headings, paragraphs, inline SVG figures and
// tables: the pages of `induction clamp` experiments. Text is escaped; figures are SVG strings
// from svg::Figure::render(). The page opens offline in any browser.
#pragma once

#include <string>
#include <vector>

namespace induction {

class Page {
public:
    explicit Page(std::string title);
    void heading(const std::string& text);
    void paragraph(const std::string& text);
    void figure(const std::string& svg, const std::string& caption);
    // cells: rows of the same width as header.
    void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
    void link(const std::string& href, const std::string& text);  // one line with a link
    std::string html() const;
    void write(const std::string& path) const;  // atomically

private:
    std::string title_, body_;
};

}  // namespace induction
