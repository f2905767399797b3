// b2bcx dashboard: a light touch — click a column header to sort a table.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("thead th").forEach((th, index) => {
      th.classList.add("sortable-key");
      th.setAttribute("role", "button");
      th.addEventListener("click", () => {
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const descending = th.dataset.order !== "desc";
        th.dataset.order = descending ? "desc" : "asc";
        const key = (row) => {
          const cell = row.cells[index];
          if (!cell) return "";
          const value = cell.dataset.sort ?? cell.textContent.trim();
          const number = Number(value);
          return Number.isNaN(number) ? value.toLowerCase() : number;
        };
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const order = x < y ? -1 : x > y ? 1 : 0;
          return descending ? -order : order;
        });
        rows.forEach((row) => body.appendChild(row));
      });
    });
  });
});
