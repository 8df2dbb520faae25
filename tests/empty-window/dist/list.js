// A plain virtual list of 100,000 rows, no framework: the rows on screen (and 8 more on
// each side) exist as elements, placed by their index, and are reused as the list
// scrolls. The desktop bench scrolls it as it scrolls the app's inbox, to measure what
// WebKit keeps after drawing scrolled rows in a page that holds nothing else.
"use strict";

const COUNT = 100000;
const ROW = 76;
const OVERSCAN = 8;
const NAMES = ["Li Wei", "Chen Jing", "Wang Fang", "Zhang Min", "Liu Yang", "Huang Lei"];
const COMPANIES = ["Bright Electronics", "Ocean Houseware", "Evergreen Textiles", "Golden Lighting"];
const PRODUCTS = ["LED panel light", "Stainless steel water bottle", "Bluetooth speaker", "Yoga mat"];
const PHRASES = [
  "We can offer a better price for 2,000 pieces, delivery in 25 days.",
  "Please find the updated quotation attached, valid until the end of the month.",
  "The samples were shipped today by express, tracking number to follow.",
  "Could you confirm the colour and the packaging before we start production?",
];

const list = document.querySelector(".list");
const rows = document.querySelector(".rows");
rows.style.height = `${COUNT * ROW}px`;
const shown = new Map();

function make(i) {
  const row = document.createElement("div");
  row.className = "row";
  row.setAttribute("role", "option");
  const part = (parent, tag, cls) => {
    const e = document.createElement(tag);
    e.className = cls;
    parent.append(e);
    return e;
  };
  part(row, "span", "dot");
  const avatar = part(row, "span", "avatar");
  const text = part(row, "div", "text");
  const top = part(text, "div", "line");
  const name = part(top, "span", "name");
  const company = part(top, "span", "company");
  const time = part(top, "span", "time");
  const middle = part(text, "div", "line");
  const product = part(middle, "span", "product");
  const count = part(middle, "span", "count");
  const preview = part(text, "div", "line preview");
  row.fill = (i) => {
    row.dataset.inquiryId = String(i);
    row.style.top = `${i * ROW}px`;
    const who = NAMES[i % NAMES.length];
    avatar.textContent = who.split(" ").map((w) => w[0]).join("");
    name.textContent = who;
    company.textContent = `${COMPANIES[(i >> 2) % COMPANIES.length]} Co., Ltd. ${i}`;
    time.textContent = `${1 + (i % 12)}:${String(i % 60).padStart(2, "0")}`;
    product.textContent = `${PRODUCTS[(i >> 1) % PRODUCTS.length]} #${i}`;
    count.textContent = String(1 + (i % 9));
    preview.textContent = `${PHRASES[i % PHRASES.length]} (${i})`;
  };
  row.fill(i);
  return row;
}

function render() {
  const first = Math.max(0, Math.floor(list.scrollTop / ROW) - OVERSCAN);
  const last = Math.min(COUNT, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + OVERSCAN);
  const free = [];
  for (const [i, row] of shown) {
    if (i < first || i >= last) {
      shown.delete(i);
      free.push(row);
    }
  }
  for (let i = first; i < last; i++) {
    if (shown.has(i)) continue;
    const row = free.pop();
    if (row) row.fill(i);
    shown.set(i, row ?? rows.appendChild(make(i)));
  }
  for (const row of free) row.remove();
}

list.addEventListener("scroll", render, { passive: true });
render();
