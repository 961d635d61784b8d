// The admin's seat map editor: parses the JSON as it is typed and says what is wrong before saving.
// The server still validates on save (flights/seat_maps.py); this only catches the typo early.
(function () {
  "use strict";

  function shapeErrors(map) {
    if (map === null || typeof map !== "object" || Array.isArray(map)) return ["must be an object"];
    if (!Array.isArray(map.Cabin) || map.Cabin.length === 0) return ["Cabin: must be a non-empty list"];
    const errors = [];
    map.Cabin.forEach(function (cabin, i) {
      const where = "Cabin[" + i + "]";
      if (cabin === null || typeof cabin !== "object") { errors.push(where + ": must be an object"); return; }
      if (!Array.isArray(cabin.Column) || cabin.Column.length === 0) errors.push(where + ".Column: must be a non-empty list");
      if (!Array.isArray(cabin.Row) || cabin.Row.length === 0) errors.push(where + ".Row: must be a non-empty list");
    });
    return errors;
  }

  function seatCount(map) {
    return map.Cabin.reduce(function (total, cabin) {
      return total + cabin.Row.reduce(function (n, row) { return n + ((row && row.Seat) || []).length; }, 0);
    }, 0);
  }

  function attach(textarea) {
    const status = document.createElement("p");
    status.id = "seat-map-json-status";
    status.setAttribute("role", "status");
    textarea.insertAdjacentElement("afterend", status);

    function check() {
      let map;
      try {
        map = JSON.parse(textarea.value);
      } catch (err) {
        status.textContent = "Not valid JSON: " + err.message;
        status.className = "errornote";
        textarea.setAttribute("aria-invalid", "true");
        return;
      }
      const errors = shapeErrors(map);
      if (errors.length) {
        status.textContent = "Not a seat map: " + errors.join("; ");
        status.className = "errornote";
        textarea.setAttribute("aria-invalid", "true");
        return;
      }
      status.textContent = "JSON OK: " + map.Cabin.length + " cabin(s), " + seatCount(map) + " seats (saving checks the rest).";
      status.className = "help";
      textarea.removeAttribute("aria-invalid");
    }

    textarea.addEventListener("input", check);
    check();
  }

  function start() {
    const textarea = document.getElementById("id_seat_map");
    if (textarea) attach(textarea);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
