-- Pandoc Lua filter used by qprlib.render for every format (HTML, Typst, DOCX).
--
-- * The document title is the only level-1 heading: body headings start at level 2 and
--   never skip a level (WCAG 1.3.1; PDF/UA wants the same).
-- * Images must be inside the report: a file qprlib.render extracted into media/ (put back
--   inline in HTML) or, in HTML, a data: URI. Anything else (http:, other paths) is replaced
--   by its alt text, so a report never fetches or references an outside resource.
-- * Every image has alt text; charts without one say so rather than being skipped silently.
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

local MISSING_ALT = "Chart without a text description"

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

function Header(h)
  local level = math.max(2, h.level)
  level = math.min(level, last_level + 1)
  last_level = level
  h.level = level
  return h
end

function Image(img)
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
  if FORMAT ~= "typst" or not div.classes:includes("kpi") then
    return nil
  end
  local blocks = pandoc.Blocks({ pandoc.RawBlock("typst", "#block(breakable: false, width: 100%, above: 1.8em, below: 1.8em)[") })
  blocks:extend(div.content)
  blocks:insert(pandoc.RawBlock("typst", "]"))
  return blocks
end

local function Pandoc(doc)
  if not (PANDOC_WRITER_OPTIONS.table_of_contents and (is_html() or FORMAT == "typst")) then
    return nil
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
  local folder = PANDOC_SCRIPT_FILE:match("^(.*)[/\\]") or "."
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
return {
  { Header = Header },
  { Figure = Figure },
  { Image = Image, Span = Span, Table = Table },
  { Div = Div }, -- after the figures inside a KPI's block are written
  { Str = Str }, -- the passes above read the text as it is
  { Pandoc = Pandoc }, -- last: moves blocks the passes above have finished with
  { Pandoc = add_kpi_filter }, -- the KPI filter's script, when a table needs it
}
