// Skyway seat-chart page: plain JS over the gateway's API (session auth + CSRF header), no build step.
(() => {
  "use strict";
  const $ = (sel) => document.querySelector(sel);
  const state = {
    flight: null,
    flights: [],
    username: $("#session").dataset.username || "",
    picked: new Set(), // seats picked to hold together
    holds: [], // your live holds on this flight, from the chart: {hold_id, seats, expires_at}
    clockOffset: 0, // server clock minus this browser's (from the Date header), for the countdowns
  };
  const POLL_MS = Number(document.body.dataset.pollMs || 5000); // the chart is re-read this often

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, url, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const served = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(served)) state.clockOffset = served - Date.now();
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const retry = response.headers.get("Retry-After");
      const message = (data && (data.detail || data.title)) || `${response.status} ${response.statusText}`;
      throw new Error(retry ? `${message} (retry in ${retry}s)` : message);
    }
    return data;
  }

  function showError(message) {
    const box = $("#error");
    box.textContent = message;
    box.hidden = !message;
  }
  function showNotice(message) {
    const box = $("#notice");
    box.textContent = message;
    box.hidden = !message;
  }

  function setLoggedIn(username) {
    state.username = username;
    $("#username").textContent = username;
    $("#login-form").hidden = !!username;
    $("#whoami").hidden = !username;
    $("#picker").hidden = !username;
    if (!username) $("#chart-section").hidden = true;
  }

  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    showError("");
    try {
      const me = await api("POST", "/api/auth/session", { username: form.username.value, password: form.password.value });
      form.reset();
      setLoggedIn(me.username);
      await searchFlights();
    } catch (error) {
      showError(`Login failed: ${error.message}`);
    }
  });

  $("#logout").addEventListener("click", async () => {
    try { await api("DELETE", "/api/auth/session"); } catch (error) { /* already logged out */ }
    setLoggedIn("");
  });

  function flightLabel(flight) {
    const when = flight.departure.replace("T", " ").slice(0, 16);
    return `${flight.flight_no}  ${flight.origin_code} → ${flight.destination_code}  ${when}Z${flight.aircraft ? "  · " + flight.aircraft : ""}`;
  }

  async function searchFlights() {
    const form = $("#search-form");
    const params = new URLSearchParams();
    for (const name of ["date", "origin_code", "destination_code"]) {
      const value = form[name].value.trim();
      if (value) params.set(name, value);
    }
    showError("");
    try {
      state.flights = await api("GET", `/api/flights?${params}`);
    } catch (error) {
      showError(`Could not find flights: ${error.message}`);
      return;
    }
    const select = $("#flight-select");
    select.innerHTML = "";
    if (!state.flights.length) {
      select.append(new Option("no flights that day", ""));
      return;
    }
    for (const flight of state.flights) select.append(new Option(flightLabel(flight), flight.flight_id));
    await loadChart(state.flights[0].flight_id);
  }

  $("#search-form").addEventListener("submit", (event) => { event.preventDefault(); searchFlights(); });
  $("#flight-select").addEventListener("change", (event) => { if (event.target.value) loadChart(event.target.value); });

  async function loadChart(flightId) {
    if (!state.flight || state.flight.flight_id !== flightId) state.picked.clear();
    state.flight = state.flights.find((f) => f.flight_id === flightId) || { flight_id: flightId };
    $("#flight-select").value = flightId;
    let chart;
    try {
      chart = await api("GET", `/api/flights/${flightId}/seats`);
    } catch (error) {
      showError(`Could not load the seat chart: ${error.message}`);
      return;
    }
    $("#chart-section").hidden = false;
    $("#flight-title").textContent = state.flight.flight_no ? flightLabel(state.flight) : flightId;
    $("#degraded").hidden = !chart.degraded;
    $("#closed").hidden = !chart.closed;
    state.closed = !!chart.closed;
    drawChart(chart);
    drawHolds(chart);
    fillCabins(chart);
    loadMySeats();
  }

  // -- holds: a party together, or picked seats; a countdown; confirm or release -----------------

  function fillCabins(chart) {
    const select = $("#hold-form select[name=cabin]");
    const wanted = select.value;
    select.innerHTML = "";
    select.append(new Option("any", ""));
    for (const cabin of chart.cabins) select.append(new Option(cabin.cabin_class, cabin.cabin_class.toLowerCase()));
    select.value = wanted;
  }

  function drawHolds(chart) {
    const byId = new Map();
    for (const cabin of chart.cabins) {
      for (const row of cabin.rows) {
        for (const seat of row.seats) {
          if (seat.status !== "held") continue;
          const hold = byId.get(seat.hold_id) || { hold_id: seat.hold_id, seats: [], expires_at: seat.expires_at };
          hold.seats.push(seat.seat);
          byId.set(seat.hold_id, hold);
        }
      }
    }
    state.holds = [...byId.values()];
    const root = $("#holds");
    root.innerHTML = "";
    for (const hold of state.holds) {
      const box = document.createElement("div");
      box.className = "hold";
      box.dataset.holdId = hold.hold_id;
      const label = document.createElement("span");
      label.textContent = `Held for you: ${hold.seats.join(", ")} · `;
      const countdown = document.createElement("span");
      countdown.className = "countdown";
      countdown.dataset.expiresAt = hold.expires_at;
      const confirm = Object.assign(document.createElement("button"), { type: "button", className: "confirm", textContent: "Confirm" });
      const release = Object.assign(document.createElement("button"), { type: "button", className: "release", textContent: "Release" });
      confirm.disabled = release.disabled = state.closed;
      confirm.addEventListener("click", () => holdAction(hold, "confirm"));
      release.addEventListener("click", () => holdAction(hold, "release"));
      box.append(label, countdown, confirm, release);
      root.append(box);
    }
    tick();
  }

  function remainingMs(expiresAt) {
    return Date.parse(expiresAt) - (Date.now() + state.clockOffset);
  }

  function tick() {
    let expired = false;
    for (const countdown of document.querySelectorAll("#holds .countdown")) {
      const left = Math.max(0, remainingMs(countdown.dataset.expiresAt));
      const seconds = Math.ceil(left / 1000);
      countdown.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")} left`;
      if (left === 0) expired = true;
    }
    if (expired && state.flight) {
      showNotice("Your hold expired: its seats are free again.");
      loadChart(state.flight.flight_id); // at the expiry the seats are free: no need to wait for the poll
    }
  }

  async function holdAction(hold, action) {
    showError("");
    showNotice("");
    try {
      if (action === "confirm") {
        const done = await api("POST", `/api/holds/${hold.hold_id}/confirm`);
        showNotice(`Seats ${done.seats.join(", ")} are yours.`);
      } else {
        await api("DELETE", `/api/holds/${hold.hold_id}`);
        showNotice(`Seats ${hold.seats.join(", ")} released.`);
      }
    } catch (error) {
      showError(`Hold of ${hold.seats.join(", ")}: ${error.message}`);
    } finally {
      await loadChart(state.flight.flight_id);
    }
  }

  async function holdSeats(body, what) {
    showError("");
    showNotice("");
    try {
      const hold = await api("POST", `/api/flights/${state.flight.flight_id}/holds`, body);
      showNotice(`Held ${hold.seats.join(", ")} for you until ${hold.expires_at.slice(11, 19)}Z: confirm to keep them.`);
      state.picked.clear();
    } catch (error) {
      showError(`Could not hold ${what}: ${error.message}`);
    } finally {
      await loadChart(state.flight.flight_id);
    }
  }

  $("#hold-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const party = Number(form.party.value);
    const prefer = [...form.querySelectorAll("input[name=prefer]:checked")].map((box) => box.value);
    if (form.cabin.value) prefer.push(form.cabin.value);
    holdSeats({ party, prefer }, `${party} seats together`);
  });

  $("#pick-mode").addEventListener("change", () => {
    state.picked.clear();
    showPicked();
    if (state.flight) loadChart(state.flight.flight_id);
  });

  $("#hold-picked").addEventListener("click", () => {
    const seats = [...state.picked];
    holdSeats({ seats }, seats.join(", "));
  });

  function showPicked() {
    $("#picked").textContent = state.picked.size ? [...state.picked].join(", ") : "";
    $("#hold-picked").disabled = !state.picked.size;
  }

  setInterval(tick, 1000);
  setInterval(() => {
    if (state.flight && !$("#chart-section").hidden && !document.hidden) loadChart(state.flight.flight_id);
  }, POLL_MS);

  function cell(className, text) {
    const div = document.createElement("div");
    div.className = className;
    if (text) div.textContent = text;
    return div;
  }

  function drawChart(chart) {
    const root = $("#chart");
    root.innerHTML = "";
    for (const cabin of chart.cabins) {
      const grid = document.createElement("div");
      grid.className = `cabin ${cabin.cabin_class.toLowerCase()}`;
      // exit mark | row number | seats with aisle gaps | wing/exit mark
      const template = ["2.6rem", "2.2rem"];
      for (const column of cabin.columns) {
        template.push("auto");
        if (column.aisle_after) template.push("18px");
      }
      template.push("2.6rem");
      grid.style.gridTemplateColumns = template.join(" ");
      const title = cell("cabin-title", `${cabin.cabin_class} · rows ${cabin.first_row}–${cabin.last_row}`);
      grid.append(title, cell(""), cell(""));
      for (const column of cabin.columns) {
        grid.append(cell("colhead", column.letter));
        if (column.aisle_after) grid.append(cell("aisle"));
      }
      grid.append(cell(""));
      for (const row of cabin.rows) {
        grid.append(row.exit ? cell("mark exit", "EXIT") : cell(""));
        grid.append(cell(`rowno${row.wing ? " row-wing" : ""}`, String(row.number)));
        const seats = new Map(row.seats.map((seat) => [seat.column, seat]));
        for (const column of cabin.columns) {
          const seat = seats.get(column.letter);
          grid.append(seat ? seatButton(seat) : cell(""));
          if (column.aisle_after) grid.append(cell("aisle"));
        }
        grid.append(row.exit ? cell("mark exit", "EXIT") : row.wing ? cell("mark wing", "wing") : cell(""));
      }
      root.append(grid);
    }
  }

  function seatButton(seat) {
    const button = document.createElement("button");
    const premium = seat.characteristics.includes("premium") ? " premium" : "";
    button.type = "button";
    button.className = `seat ${seat.status}${premium}${state.picked.has(seat.seat) ? " picked" : ""}`;
    button.dataset.seat = seat.seat;
    button.dataset.status = seat.status;
    button.textContent = seat.seat;
    button.title = `${seat.seat} — ${seat.status}${seat.characteristics.length ? " · " + seat.characteristics.join(", ") : ""}`;
    button.setAttribute("aria-label", `Seat ${seat.seat}, ${seat.status}`);
    if (seat.status === "taken" || state.closed) button.disabled = true; // a departed flight sells nothing
    button.addEventListener("click", () => onSeat(button, seat));
    return button;
  }

  async function onSeat(button, seat) {
    const flightId = state.flight.flight_id;
    showError("");
    showNotice("");
    button.classList.add("busy");
    if ($("#pick-mode").checked && seat.status === "free") {
      if (state.picked.has(seat.seat)) state.picked.delete(seat.seat);
      else state.picked.add(seat.seat);
      button.classList.toggle("picked", state.picked.has(seat.seat));
      button.classList.remove("busy");
      showPicked();
      return;
    }
    if (seat.status === "held") {
      button.classList.remove("busy");
      showNotice(`Seat ${seat.seat} is held for you: confirm or release the hold above.`);
      return;
    }
    try {
      if (seat.status === "yours") {
        if (!window.confirm(`Cancel seat ${seat.seat}?`)) return;
        await api("DELETE", `/api/flights/${flightId}/reservations/${seat.seat}`);
        showNotice(`Seat ${seat.seat} cancelled.`);
      } else if (seat.status === "free" || seat.status === "unknown") {
        await api("POST", `/api/flights/${flightId}/reservations`, { seat: seat.seat });
        showNotice(`Seat ${seat.seat} is yours.`);
      }
    } catch (error) {
      showError(`Seat ${seat.seat}: ${error.message}`);
    } finally {
      button.classList.remove("busy");
      await loadChart(flightId);
    }
  }

  async function loadMySeats() {
    const list = $("#my-seats");
    try {
      const mine = await api("GET", "/api/reservations");
      list.innerHTML = "";
      for (const item of mine) {
        const li = document.createElement("li");
        li.textContent = `${item.seat} on ${item.flight ? flightLabel(item.flight) : item.flight_id}`;
        list.append(li);
      }
      if (!mine.length) list.append(Object.assign(document.createElement("li"), { textContent: "none yet" }));
    } catch (error) {
      list.innerHTML = "";
      list.append(Object.assign(document.createElement("li"), { textContent: `unavailable: ${error.message}` }));
    }
  }

  if (state.username) searchFlights();
})();
