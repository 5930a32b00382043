-- Pandoc Lua filter used by qprlib.render for every format (HTML, Typst, DOCX).
--
-- * The document title is the only level-1 heading: body headings start at level 2 and
--   never skip a level (WCAG 1.3.1; PDF/UA wants the same).
-- * Images must be inside the report: a file qprlib.render extracted into media/ (put back
--   inline in HTML) or, in HTML, a data: URI. Anything else (http:, other paths) is replaced
--   by its alt text, so a report never fetches or references an outside resource.
-- * Every image has alt text; charts without one say so rather than being skipped silently.
-- * Word: headings start at Heading 1 (the title is Word's Title style).
-- * Typst: an "Appendix N ..." level-2 heading starts a new page.
-- * PDF and Word: a link to a sibling report's HTML (`qpr.html`) points to its PDF.
-- * Typst: text is printed exactly as typed ("-2", "-?" and "..." are not shorthands).
-- * HTML: each table sits in a labelled, keyboard-scrollable region (wide tables on phones).
-- * HTML, Typst: with a contents list, what comes before the first heading (a dashboard's
--   From/To/Subject block) goes into the `preamble` variable, which the templates print
--   before the contents, as on a committee paper; pandoc would put the contents above it.
-- * Typst: pandoc's writer drops image alt text, so figures and images are written as raw
--   Typst with `alt:` (PDF/UA-1 refuses images without it); RAG and direction spans get the
--   template's coloured `rag()`/`dot()` boxes around the word.
-- * HTML: a page whose tables carry KPI cells (`<span class="kpi" data-rag=...>`, from
--   qprlib.tables.kpi_cells) gets kpi-filter.js and its styles inline at the end: filter
--   and sort controls built by the script, so without JavaScript every KPI is shown.
--
-- Quarto runs this filter too (`_quarto.yml`: `at: pre-ast`, before Quarto's own filters), and
-- then it also does what the built-in engine's templates and Python do, so both engines give
-- members the same pages (QUARTO below):
-- * tables and figures are written by pandoc's own HTML/Typst writers, as the built-in engine
--   writes them, so Quarto does not number them ("Table 1:", "Figure 2:") or drop their alt;
-- * Typst: charts given as data: URIs are written to media/ files (Typst reads files only);
--   the contents list, date, language and author are set for the built-in Typst template;
-- * HTML: the skip link, the PDF/Word download links and the contents list of long reports.

local MISSING_ALT = "Chart without a text description"
local TOC_MIN_SECTIONS = 4 -- qprlib.render.TOC_MIN_SECTIONS
local NO_TOC_REPORTS = { cover = true } -- qprlib.render.NO_TOC_REPORTS

-- Quarto's Lua environment has a `quarto` module; plain pandoc (the built-in engine) has not.
local QUARTO = type(quarto) == "table" and quarto.doc ~= nil

local function is_html()
  return FORMAT:match("html") ~= nil
end

local function typst_string(text)
  text = text:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", " "):gsub("\r", " ")
  return '"' .. text .. '"'
end

local function allowed_source(src)
  -- Images extracted by qprlib.render into ./media/ (HTML gets them back as data: URIs).
  if src:match("^media/%x+%.%a+$") then
    return true
  end
  return is_html() and src:match("^data:image/") ~= nil
end

local function alt_text(img)
  local alt = pandoc.utils.stringify(img.caption)
  if alt == "" then
    alt = img.attributes.alt or ""
  end
  if alt == "" then
    alt = MISSING_ALT
  end
  return alt
end

local function typst_image(img, default_width)
  local args = { typst_string(img.src), "alt: " .. typst_string(alt_text(img)) }
  local width = img.attributes.width or default_width
  if width then
    table.insert(args, "width: " .. (width:match("^[%d.]+%%$") and width or "100%"))
  end
  return "image(" .. table.concat(args, ", ") .. ")"
end

local last_level = 1

local function is_appendix(h)
  return pandoc.utils.stringify(h.content):match("^Appendix %d") ~= nil
end

function Header(h)
  local level = math.max(2, h.level)
  level = math.min(level, last_level + 1)
  last_level = level
  h.level = level
  if FORMAT == "docx" then
    -- Word: the title is the Title style, so body headings start at Heading 1 (navigation pane)
    h.level = level - 1
  end
  if FORMAT == "typst" and level == 2 and is_appendix(h) then
    -- an appendix (a dashboard after its seed-003 cover) starts on a page of its own
    return { pandoc.RawBlock("typst", "#pagebreak(weak: true)"), h }
  end
  return h
end

-- QUARTO, Typst: a data: URI image becomes media/<sha1>.<ext> beside the document (the
-- built-in engine does this in Python, qprlib.render.extract_images).
local EXTENSIONS = { ["image/png"] = "png", ["image/jpeg"] = "jpg", ["image/gif"] = "gif",
  ["image/svg+xml"] = "svg" }

local function input_dir()
  local input = quarto.doc.input_file or ""
  return pandoc.path.directory(input)
end

local function data_uri_to_file(img)
  if not (QUARTO and FORMAT == "typst" and img.src:match("^data:image/")) then
    return
  end
  local ok, mime, contents = pcall(pandoc.mediabag.fetch, img.src)
  local ext = ok and mime and EXTENSIONS[mime:lower()] or nil
  if not ext or not contents then
    return
  end
  local name = "media/" .. pandoc.utils.sha1(contents) .. "." .. ext
  local dir = pandoc.path.join({ input_dir(), "media" })
  pandoc.system.make_directory(dir, true)
  local file = io.open(pandoc.path.join({ input_dir(), name }), "wb")
  if file then
    file:write(contents)
    file:close()
    img.src = name
  end
end

-- A link to a report beside this one (the cover's "Appendix 1 – ..." to qpr.html) points to
-- that report's PDF from the PDF and Word copies, which are sent without the HTML.
function Link(link)
  if is_html() then
    return nil
  end
  local name = link.target:match("^([%w%-]+)%.html$")
  if name then
    link.target = name .. ".pdf"
    return link
  end
  return nil
end

function Image(img)
  data_uri_to_file(img)
  if not allowed_source(img.src) then
    return pandoc.Emph(pandoc.Inlines("[Image not included: " .. alt_text(img) .. "]"))
  end
  if FORMAT == "typst" then
    return pandoc.RawInline("typst", "#box(" .. typst_image(img, nil) .. ")")
  end
  if pandoc.utils.stringify(img.caption) == "" then
    img.caption = pandoc.Inlines(MISSING_ALT)
  end
  return img
end

local function lone_image(fig)
  if #fig.content ~= 1 then
    return nil
  end
  local block = fig.content[1]
  if (block.t == "Plain" or block.t == "Para") and #block.content == 1 and block.content[1].t == "Image" then
    return block.content[1]
  end
  return nil
end

function Figure(fig)
  local img = lone_image(fig)
  if img then
    data_uri_to_file(img)
  end
  if FORMAT ~= "typst" or img == nil or not allowed_source(img.src) then
    return nil
  end
  local caption_doc = pandoc.Pandoc(fig.caption.long):walk({ Str = Str })
  local caption = pandoc.write(caption_doc, "typst")
  local source = "#figure(" .. typst_image(img, "100%") .. ",\n  caption: [" .. caption .. "],\n)"
  return pandoc.RawBlock("typst", source)
end

-- Typst reads some plain-text sequences as shorthands ("-2" becomes a minus sign, "-?" a
-- soft hyphen that vanishes, "..." an ellipsis) and pandoc's Typst writer does not escape
-- them. Data text must print exactly as typed, so those characters are escaped for Typst.
local function typst_literal(str)
  local text = str.text
  if not (text:find("%-[%d?]") or text:find("%.%.%.")) then
    return nil
  end
  local out, buffer = pandoc.Inlines({}), ""
  for i = 1, #text do -- bytes: only ASCII ones are compared, so UTF-8 passes through whole
    local c = text:sub(i, i)
    local shorthand = (c == "-" and text:sub(i + 1, i + 1):match("^[%d?]$"))
      or (c == "." and text:sub(i + 1, i + 2) == "..")
    if shorthand then
      if buffer ~= "" then
        out:insert(pandoc.Str(buffer))
        buffer = ""
      end
      out:insert(pandoc.RawInline("typst", "\\" .. c))
    else
      buffer = buffer .. c
    end
  end
  if buffer ~= "" then
    out:insert(pandoc.Str(buffer))
  end
  return out
end

function Str(str)
  if FORMAT == "typst" then
    return typst_literal(str)
  end
  return nil
end

local function wrap_typst(span, func, kind)
  local open = pandoc.RawInline("typst", "#" .. func .. "(" .. typst_string(kind) .. ")[")
  local close = pandoc.RawInline("typst", "]")
  local inlines = pandoc.Inlines({ open })
  inlines:extend(span.content)
  inlines:insert(close)
  return inlines
end

local has_kpi_cells = false

function Span(span)
  if is_html() and span.classes:includes("kpi") and span.attributes["data-kpi"] then
    has_kpi_cells = true
  end
  if FORMAT ~= "typst" then
    return nil
  end
  if span.attributes["aria-hidden"] == "true" then
    -- a decorative arrow or symbol beside its word: visible, but not read aloud twice
    return wrap_typst(span, "decorative", "")
  end
  for _, class in ipairs(span.classes) do
    local kind = class:match("^rag%-(%a+)$")
    if kind then
      return wrap_typst(span, "rag", kind)
    end
    kind = class:match("^dot%-([%a%-]+)$")
    if kind then
      return wrap_typst(span, "dot", kind)
    end
  end
  return nil
end

-- A table with class `grouped` (qprlib.tables: the KPI table by service area): its first
-- column becomes a group heading row above each run of equal values, instead of being
-- repeated on every row (a table body per group; HTML, Typst and Word all keep it).
local function regroup(tbl)
  local ncol = #tbl.colspecs
  if ncol < 2 or #tbl.bodies ~= 1 then
    return tbl
  end
  local bodies, current, body = {}, nil, nil
  for _, row in ipairs(tbl.bodies[1].body) do
    local key = pandoc.utils.stringify(row.cells[1].contents)
    if body == nil or key ~= current then
      current = key
      local contents = row.cells[1].contents
      if FORMAT == "typst" or FORMAT == "docx" then -- HTML: a <th>, bold by CSS
        contents = pandoc.Blocks({ pandoc.Plain({ pandoc.Strong(pandoc.utils.blocks_to_inlines(contents)) }) })
      end
      local heading = pandoc.Cell(contents, pandoc.AlignDefault, 1, ncol - 1)
      heading.attributes.scope = "rowgroup"
      heading.classes:insert("group-heading")
      body = { attr = pandoc.Attr("", { "group" }), body = {}, head = { pandoc.Row({ heading }) },
        row_head_columns = 0 }
      table.insert(bodies, body)
    end
    row.cells:remove(1)
    table.insert(body.body, row)
  end
  tbl.colspecs:remove(1)
  local total = 0
  for _, spec in ipairs(tbl.colspecs) do
    total = total + (type(spec[2]) == "number" and spec[2] or 0)
  end
  if total > 0 then -- the other columns share the width the first one had
    for i, spec in ipairs(tbl.colspecs) do
      if type(spec[2]) == "number" then
        tbl.colspecs[i] = { spec[1], spec[2] / total }
      end
    end
  end
  for _, row in ipairs(tbl.head.rows) do
    row.cells:remove(1)
  end
  tbl.bodies = bodies
  return tbl
end

-- Class `row-headers`: the first column (the KPI's name) heads its row: <th scope="row">.
-- HTML: every cell is labelled with its column's heading (data-label), which the stacked
-- phone layout of qpr.css shows before the value.
local function label_rows(tbl, row_headers)
  local labels = {}
  for i, cell in ipairs(tbl.head.rows[1] and tbl.head.rows[1].cells or {}) do
    labels[i] = pandoc.utils.stringify(cell.contents)
  end
  for _, body in ipairs(tbl.bodies) do
    if row_headers then
      body.row_head_columns = 1
    end
    for _, row in ipairs(body.body) do
      for i, cell in ipairs(row.cells) do
        if i == 1 and row_headers then
          cell.attributes.scope = "row"
        end
        if is_html() and labels[i] and labels[i] ~= "" then
          cell.attributes["data-label"] = labels[i]
        end
      end
    end
  end
  return tbl
end

function Table(tbl)
  local grouped, row_headers = tbl.classes:includes("grouped"), tbl.classes:includes("row-headers")
  if grouped then
    tbl = regroup(tbl)
  end
  tbl = label_rows(tbl, row_headers)
  if not is_html() then
    return tbl
  end
  local label = pandoc.utils.stringify(tbl.caption.long)
  if label == "" then
    label = "Table"
  end
  local attrs = { role = "region", tabindex = "0", ["aria-label"] = label }
  local classes = { "table-wrap" }
  if #tbl.colspecs >= 5 then
    table.insert(classes, "wide")
  end
  if row_headers then
    table.insert(classes, "stack") -- stacked rows on a phone (qpr.css)
  end
  return pandoc.Div({ tbl }, pandoc.Attr("", classes, attrs))
end

-- A KPI's block (class `kpi`: heading, status line, chart, caption, commentary, action) is
-- never split across pages: Typst keeps it in one unbreakable block (HTML: print CSS).
function Div(div)
  -- "Show the data": the table behind a chart, folded away in HTML (<details>); print and
  -- Word have the chart's alt text and caption instead, so the table is left out there.
  if div.classes:includes("show-data") then
    if not is_html() then
      return {}
    end
    local blocks = pandoc.Blocks({ pandoc.RawBlock("html", '<details class="show-data">'),
      pandoc.RawBlock("html", "<summary>Show the data</summary>") })
    blocks:extend(div.content)
    blocks:insert(pandoc.RawBlock("html", "</details>"))
    return blocks
  end
  if FORMAT ~= "typst" or not div.classes:includes("kpi") then
    return nil
  end
  local blocks = pandoc.Blocks({ pandoc.RawBlock("typst", "#block(breakable: false, width: 100%, above: 1.8em, below: 1.8em)[") })
  blocks:extend(div.content)
  blocks:insert(pandoc.RawBlock("typst", "]"))
  return blocks
end

-- the built-in engine asks pandoc for a contents list (qprlib.render); under Quarto the
-- same rule is applied here: long reports (4 or more sections), never the cover report
local function report_name()
  local input = QUARTO and quarto.doc.input_file or ""
  return (pandoc.path.split_extension(pandoc.path.filename(input)))
end

local wants_toc = PANDOC_WRITER_OPTIONS.table_of_contents

local MONTHS = { "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December" }

-- qprlib.render._long_date: 2024-01-04 -> 4 January 2024 (other text as it is)
local function long_date(text)
  local y, m, d = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y or not MONTHS[tonumber(m)] then
    return text
  end
  return tostring(tonumber(d)) .. " " .. MONTHS[tonumber(m)] .. " " .. y
end


local function count_sections(doc)
  if not QUARTO then
    return nil
  end
  local sections = 0
  doc:walk({
    Header = function(h)
      if h.level == 2 then
        sections = sections + 1
      end
    end,
  })
  wants_toc = sections >= TOC_MIN_SECTIONS and not NO_TOC_REPORTS[report_name()]
  if FORMAT == "typst" and doc.meta.date then
    -- before the Str pass, which would split "2024-01-04" at its "-0"
    doc.meta.date = long_date(pandoc.utils.stringify(doc.meta.date))
    return doc
  end
  return nil
end

local function Pandoc(doc)
  if not (wants_toc and (is_html() or FORMAT == "typst")) then
    return nil
  end
  if QUARTO and is_html() then
    return nil -- the contents list is placed after the preamble by quarto_page below
  end
  local first = nil
  for i, block in ipairs(doc.blocks) do
    if block.t == "Header" then
      first = i
      break
    end
  end
  if first == nil or first == 1 then
    return nil
  end
  local preamble, body = pandoc.Blocks({}), pandoc.Blocks({})
  for i, block in ipairs(doc.blocks) do
    if i < first then
      preamble:insert(block)
    else
      body:insert(block)
    end
  end
  doc.meta.preamble = pandoc.MetaBlocks(preamble)
  doc.blocks = body
  return doc
end

local KPI_FILTER_STYLE = [[
<style>
.kpi-filter fieldset { border: 1px solid #b1b4b6; padding: 0.5rem 0.75rem 0.75rem; margin: 0 0 0.5rem;
  min-width: 0; }
.kpi-filter legend { font-weight: bold; padding: 0 0.25rem; }
.kpi-filter-field { display: inline-block; margin: 0.25rem 1rem 0.25rem 0; vertical-align: bottom;
  max-width: 100%; }
.kpi-filter label { display: block; font-size: 0.9rem; }
.kpi-filter select, .kpi-filter button { font: inherit; min-height: 2.25rem; max-width: 100%; }
.kpi-filter button { margin-top: 0.5rem; }
.kpi-filter-status { font-weight: bold; margin: 0.25rem 0 0.5rem; }
button.kpi-sort { font: inherit; font-weight: bold; color: inherit; background: none;
  border: 0; padding: 0; text-align: inherit; cursor: pointer; text-decoration: underline; }
.kpi-filter select:focus, .kpi-filter button:focus, button.kpi-sort:focus {
  outline: 3px solid #ffdd00; outline-offset: 1px; box-shadow: 0 0 0 5px #0b0c0c; }
</style>
]]

local function kpi_filter_script()
  -- this file's folder (under Quarto, PANDOC_SCRIPT_FILE is Quarto's own filter)
  local here = debug.getinfo(1, "S").source:match("^@(.*)[/\\]")
  local folder = here or PANDOC_SCRIPT_FILE:match("^(.*)[/\\]") or "."
  local handle = io.open(folder .. "/kpi-filter.js", "r")
  if not handle then
    return nil
  end
  local source = handle:read("a")
  handle:close()
  return source
end

local function add_kpi_filter(doc)
  if not (is_html() and has_kpi_cells) then
    return nil
  end
  local source = kpi_filter_script()
  if not source then
    return nil
  end
  doc.blocks:insert(pandoc.RawBlock("html", KPI_FILTER_STYLE .. "<script>\n" .. source .. "</script>"))
  return doc
end

-- Figures before images: the figure pass needs the image untouched to read its alt text.
-- ---------------------------------------------------------------- QUARTO only

-- Quarto wraps each notebook cell and output in Divs (.cell, .cell-output-*); the built-in
-- engine's Markdown has none, so they are unwrapped and both engines see the same blocks.
local function unwrap_cell(div)
  for _, class in ipairs(div.classes) do
    if class == "cell" or class:match("^cell%-output") then
      return div.content
    end
  end
  return nil
end

-- Quarto's Markdown reader leaves a table caption's attributes (`{#tbl-id .grouped}`) in the
-- caption text (Quarto reads them in a later filter); the built-in engine's pandoc takes them
-- as the table's id and classes, which the Table pass above needs.
local function caption_id(tbl)
  local blocks = tbl.caption.long
  local last = #blocks > 0 and blocks[#blocks] or nil
  if not last or (last.t ~= "Plain" and last.t ~= "Para") or #last.content == 0 then
    return nil
  end
  local inlines, start = last.content, nil
  for i = #inlines, 1, -1 do
    if inlines[i].t == "Str" and inlines[i].text:sub(1, 1) == "{" then
      start = i
      break
    end
  end
  if not start then
    return nil
  end
  local text = pandoc.utils.stringify(pandoc.Inlines({ table.unpack(inlines, start) }))
  local inner = text:match("^{(.*)}$")
  if not inner then
    return nil
  end
  local id, classes = nil, {}
  for token in inner:gmatch("%S+") do
    if token:match("^#[%w_:%.%-]+$") then
      id = token:sub(2)
    elseif token:match("^%.[%w_%-]+$") then
      table.insert(classes, token:sub(2))
    else
      return nil -- not an attribute block: leave the caption as written
    end
  end
  for _ = #inlines, start, -1 do
    inlines:remove(#inlines)
  end
  while #inlines > 0 and inlines[#inlines].t == "Space" do
    inlines:remove(#inlines)
  end
  if id then
    tbl.identifier = id
  end
  for _, class in ipairs(classes) do
    tbl.classes:insert(class)
  end
  return tbl
end

local function plain_writer_options()
  return { wrap_text = "wrap-none" }
end

-- Tables and figures are written by pandoc's writer for the output format, exactly as the
-- built-in engine's pandoc writes them: Quarto then treats them as raw output and adds no
-- number ("Table 1:") and does not take the caption off the image's alt text. Other formats
-- (Word) keep the table, without the tbl- id that would make Quarto number it.
local function raw_block(block)
  local doc = pandoc.Pandoc({ block })
  if FORMAT == "typst" then
    return pandoc.RawBlock("typst", pandoc.write(doc, "typst", plain_writer_options()))
  end
  if is_html() then
    return pandoc.RawBlock("html", pandoc.write(doc, "html5", plain_writer_options()))
  end
  return nil
end

local function quarto_table(tbl)
  local raw = raw_block(tbl)
  if raw then
    return raw
  end
  if tbl.identifier:match("^tbl%-") then
    tbl.identifier = ""
    return tbl
  end
  return nil
end

local function quarto_figure(fig)
  if FORMAT == "typst" then
    return nil -- already raw Typst (Figure above)
  end
  return raw_block(fig)
end

local function meta_list(value)
  if value == nil then
    return {}
  end
  if pandoc.utils.type(value) == "List" then
    return value
  end
  return { value }
end

local function html_escape(text)
  return (text:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

-- The built-in template's download links (qprlib/templates/report.html), from the formats
-- this run publishes (`qpr-formats`, `qpr-docx-reports` in the project's metadata).
local function downloads(doc)
  local formats, name = {}, report_name()
  for _, f in ipairs(meta_list(doc.meta["qpr-formats"])) do
    formats[pandoc.utils.stringify(f)] = true
  end
  local links = {}
  if formats.pdf then
    table.insert(links, '<a href="' .. html_escape(name) .. '.pdf">Download this report as a PDF</a>')
  end
  local docx = false
  for _, r in ipairs(meta_list(doc.meta["qpr-docx-reports"])) do
    docx = docx or pandoc.utils.stringify(r) == name
  end
  if formats.docx and docx then
    table.insert(links,
      '<a href="' .. html_escape(name) .. '.docx">Download this report as a Word document</a>')
  end
  if #links == 0 then
    return nil
  end
  return pandoc.RawBlock("html", '<p class="downloads">' .. table.concat(links, " · ") .. "</p>")
end

local function contents(doc)
  local items = pandoc.List({})
  doc:walk({
    Header = function(h)
      if h.level == 2 and h.identifier ~= "" then
        items:insert({ pandoc.Plain({ pandoc.Link(h.content, "#" .. h.identifier) }) })
      end
    end,
  })
  local list = pandoc.write(pandoc.Pandoc({ pandoc.BulletList(items) }), "html5", plain_writer_options())
  return pandoc.RawBlock("html",
    '<nav class="toc" aria-labelledby="toc-title">\n<h2 id="toc-title">Contents</h2>\n'
    .. list .. "\n</nav>")
end

local function author_names(value)
  local names = pandoc.List({})
  for _, author in ipairs(meta_list(value)) do
    local name = author
    if type(author) == "table" and author.name ~= nil then
      name = author.name
      if type(name) == "table" and name.literal ~= nil then
        name = name.literal
      end
    end
    local text = pandoc.utils.stringify(name)
    if text ~= "" then
      names:insert(pandoc.MetaInlines(pandoc.Inlines(text)))
    end
  end
  return names
end

local function quarto_page(doc)
  if is_html() then
    quarto.doc.include_text("before-body",
      '<a class="skip-link" href="#quarto-document-content">Skip to main content</a>')
    local head = pandoc.Blocks({})
    local link = downloads(doc)
    if link then
      head:insert(link)
    end
    local first = #doc.blocks + 1
    for i, block in ipairs(doc.blocks) do
      if block.t == "Header" then
        first = i
        break
      end
    end
    local blocks = pandoc.Blocks({})
    blocks:extend(head)
    for i, block in ipairs(doc.blocks) do
      if i == first and wants_toc then
        blocks:insert(contents(doc))
      end
      blocks:insert(block)
    end
    if doc.meta.provenance then
      -- the built-in template's page footer (qprlib/templates/report.html)
      local text = pandoc.write(pandoc.Pandoc({ pandoc.Plain(doc.meta.provenance) }), "html5")
      blocks:insert(pandoc.RawBlock("html", '<footer class="site-footer">\n<div class="wrap">\n<p>'
        .. text .. "</p>\n</div>\n</footer>"))
    end
    doc.blocks = blocks
    return doc
  end
  if FORMAT == "typst" then
    -- the variables the built-in engine gives its Typst template (qprlib.render)
    local lang = pandoc.utils.stringify(doc.meta.lang or "en-GB")
    local language, region = lang:match("^(%a%a%a?)%-(%a%a)")
    doc.meta["typst-lang"] = (language or lang:match("^(%a%a%a?)") or "en"):lower()
    if region then
      doc.meta["typst-region"] = region:upper()
    end
    if doc.meta.author then
      doc.meta.author = author_names(doc.meta.author)
    end
    if wants_toc then
      doc.meta.toc = true
    end
    return doc
  end
  return nil
end

local passes = {
  { Header = Header },
  { Figure = Figure },
  { Image = Image, Span = Span, Table = Table, Link = Link },
  { Div = Div }, -- after the figures inside a KPI's block are written
  { Str = Str }, -- the passes above read the text as it is
  { Pandoc = Pandoc }, -- last: moves blocks the passes above have finished with
  { Pandoc = add_kpi_filter }, -- the KPI filter's script, when a table needs it
}

if QUARTO then
  table.insert(passes, 1, { Div = unwrap_cell, Table = caption_id })
  table.insert(passes, 2, { Pandoc = count_sections })
  table.insert(passes, { Table = quarto_table, Figure = quarto_figure })
  table.insert(passes, { Pandoc = quarto_page })
end

return passes
