// The strings table (Russian and English), the language switch, and locale-aware formatting.

const STRINGS = {
  en: {
    'app.title': 'Tally',
    'net.online': 'Online',
    'net.offline': 'Offline',
    'pending.count': '{n} to send',
    'pending.none': 'All sent',
    'nav.home': 'Home',
    'nav.scan': 'Scan',
    'nav.lookup': 'Look up',
    'nav.routes': 'Route',
    'nav.sync': 'Sync',
    'lang.other': 'RU',
    'lang.otherName': 'Русский',
    'role.picker': 'Picker',
    'role.checker': 'Checker',
    'role.packer': 'Packer',
    'role.loader': 'Loader',
    'role.warehouse': 'Warehouse',
    'role.courier': 'Courier',
    'enroll.title': 'Enroll this device',
    'enroll.intro': 'Scan the QR code a supervisor shows you, or type its code.',
    'enroll.code': 'Enrollment code',
    'enroll.name': 'Device name',
    'enroll.submit': 'Enroll',
    'enroll.camera': 'Scan the QR with the camera',
    'enroll.working': 'Enrolling…',
    'enroll.loading': 'Loading data: {n}',
    'enroll.invalid': 'This code is unknown or already used.',
    'enroll.expired': 'This code has expired. Ask for a new one.',
    'enroll.offline': 'No connection to the server. Enrollment needs the network once.',
    'enroll.failed': 'Enrollment failed: {detail}',
    'enroll.needCode': 'Enter or scan the enrollment code.',
    'home.scan': 'Scan',
    'home.scanHint': 'Record scans of bins and items',
    'home.lookup': 'Look up',
    'home.lookupHint': 'What is this item or bin?',
    'home.routes': 'My route',
    'home.routesHint': 'Stops, calls and navigation',
    'home.sync': 'Sync status',
    'home.syncHint': 'Unsent and rejected operations',
    'home.wedgeHint': 'Scan any barcode to look it up — no need to tap a field.',
    'home.catalog': 'On this device: {products} products, {bins} bins',
    'home.routesCount': 'On this device: {n} routes',
    'context.label': 'Operation',
    'context.pick': 'Picking',
    'context.check': 'Checking',
    'context.pack': 'Packing',
    'context.load': 'Loading',
    'scan.title': 'Scan',
    'scan.prompt': 'Scan a bin or an item',
    'scan.bin': 'Bin',
    'scan.noBin': 'no bin scanned',
    'scan.manual': 'Type a code',
    'scan.ok': 'OK',
    'scan.camera': 'Camera',
    'scan.recorded': 'Recorded',
    'scan.binSet': 'Bin {code}',
    'scan.unknown': 'Unknown barcode',
    'scan.unknownHelp': 'Not in the catalog nor among this warehouse’s bins. Do not take this item.',
    'scan.dismiss': 'Dismiss',
    'scan.recent': 'Scans this session',
    'scan.none': 'No scans yet.',
    'scan.refusedCount': '{n} refused',
    'camera.unavailable': 'Camera scanning is not available: {detail}',
    'camera.close': 'Close',
    'camera.aim': 'Point the camera at a barcode',
    'lookup.title': 'Look up',
    'lookup.prompt': 'Scan a product or a bin to see it here.',
    'lookup.product': 'Product',
    'lookup.bin': 'Bin',
    'lookup.sku': 'SKU',
    'lookup.barcodes': 'Barcodes',
    'lookup.price': 'Price',
    'lookup.unit': 'Unit',
    'lookup.marked': 'Marked goods (Chestny ZNAK)',
    'lookup.zone': 'Zone',
    'lookup.pickSeq': 'Walk order',
    'lookup.code': 'Code',
    'lookup.barcode': 'Barcode',
    'lookup.notFound': 'Not found: {code}',
    'lookup.scanned': 'Scanned',
    'lookup.pack': 'pack of {n}',
    'routes.title': 'My routes',
    'routes.none': 'No routes for you yet. They arrive with the next sync.',
    'routes.route': 'Route {id} · {day}',
    'routes.vehicle': 'Vehicle {v}',
    'routes.stops': '{n} stops',
    'routes.status.planned': 'planned',
    'routes.status.loading': 'loading',
    'routes.status.in_progress': 'on the way',
    'routes.status.completed': 'completed',
    'stop.title': 'Stop {n}',
    'stop.call': 'Call',
    'stop.navigate': 'Navigate',
    'stop.due': 'To collect',
    'stop.prepaid': 'Prepaid',
    'stop.window': 'Delivery window',
    'stop.order': 'Order',
    'stop.notes': 'Notes',
    'stop.later': 'Door scan, signature and cash arrive with the next server version.',
    'stop.back': 'Back to the route',
    'stop.missing': 'This stop is no longer on your route.',
    'sync.title': 'Sync',
    'sync.pending': 'Waiting to send',
    'sync.lastSync': 'Last sync',
    'sync.never': 'never',
    'sync.now': 'Sync now',
    'sync.running': 'Syncing…',
    'sync.lastError': 'Last error',
    'sync.rejected': 'Rejected by the server',
    'sync.rejectedNone': 'Nothing rejected.',
    'sync.outbox': 'Unsent operations',
    'sync.outboxEmpty': 'Everything is sent.',
    'sync.device': 'Device',
    'sync.version': 'App version',
    'sync.storage': 'Storage',
    'sync.offline': 'Offline: operations are kept on this device and sent when the network returns.',
    'sync.revoked': 'This device was revoked. Ask a supervisor to enroll it again.',
    'sync.more': '… and {n} more',
    'storage.persistent': 'persistent',
    'storage.bestEffort': 'the browser may clear it',
    'update.ready': 'A new version is ready.',
    'update.reload': 'Reload',
    'install.ios': 'Install: tap Share, then “Add to Home Screen”. The installed app keeps its data.',
    'install.button': 'Install the app',
    'install.dismiss': 'Later',
  },
  ru: {
    'app.title': 'Tally',
    'net.online': 'В сети',
    'net.offline': 'Нет сети',
    'pending.count': 'К отправке: {n}',
    'pending.none': 'Отправлено',
    'nav.home': 'Главная',
    'nav.scan': 'Скан',
    'nav.lookup': 'Поиск',
    'nav.routes': 'Маршрут',
    'nav.sync': 'Синхр.',
    'lang.other': 'EN',
    'lang.otherName': 'English',
    'role.picker': 'Комплектовщик',
    'role.checker': 'Контролёр',
    'role.packer': 'Упаковщик',
    'role.loader': 'Грузчик',
    'role.warehouse': 'Склад',
    'role.courier': 'Курьер',
    'enroll.title': 'Подключение устройства',
    'enroll.intro': 'Отсканируйте QR-код, который покажет руководитель, или введите код вручную.',
    'enroll.code': 'Код подключения',
    'enroll.name': 'Имя устройства',
    'enroll.submit': 'Подключить',
    'enroll.camera': 'Сканировать QR камерой',
    'enroll.working': 'Подключение…',
    'enroll.loading': 'Загрузка данных: {n}',
    'enroll.invalid': 'Код неизвестен или уже использован.',
    'enroll.expired': 'Срок действия кода истёк. Попросите новый.',
    'enroll.offline': 'Нет связи с сервером. Для подключения сеть нужна один раз.',
    'enroll.failed': 'Не удалось подключить: {detail}',
    'enroll.needCode': 'Введите или отсканируйте код подключения.',
    'home.scan': 'Сканирование',
    'home.scanHint': 'Записать сканы ячеек и товаров',
    'home.lookup': 'Поиск',
    'home.lookupHint': 'Что это за товар или ячейка?',
    'home.routes': 'Мой маршрут',
    'home.routesHint': 'Точки, звонки и навигация',
    'home.sync': 'Синхронизация',
    'home.syncHint': 'Неотправленные и отклонённые операции',
    'home.wedgeHint': 'Отсканируйте любой штрихкод — поле нажимать не нужно.',
    'home.catalog': 'На устройстве: товаров {products}, ячеек {bins}',
    'home.routesCount': 'На устройстве маршрутов: {n}',
    'context.label': 'Операция',
    'context.pick': 'Отбор',
    'context.check': 'Проверка',
    'context.pack': 'Упаковка',
    'context.load': 'Погрузка',
    'scan.title': 'Сканирование',
    'scan.prompt': 'Сканируйте ячейку или товар',
    'scan.bin': 'Ячейка',
    'scan.noBin': 'ячейка не выбрана',
    'scan.manual': 'Ввести код',
    'scan.ok': 'OK',
    'scan.camera': 'Камера',
    'scan.recorded': 'Записано',
    'scan.binSet': 'Ячейка {code}',
    'scan.unknown': 'Неизвестный штрихкод',
    'scan.unknownHelp': 'Нет ни в каталоге, ни среди ячеек склада. Не берите этот товар.',
    'scan.dismiss': 'Понятно',
    'scan.recent': 'Сканы за смену',
    'scan.none': 'Сканов ещё нет.',
    'scan.refusedCount': 'отклонено: {n}',
    'camera.unavailable': 'Сканирование камерой недоступно: {detail}',
    'camera.close': 'Закрыть',
    'camera.aim': 'Наведите камеру на штрихкод',
    'lookup.title': 'Поиск',
    'lookup.prompt': 'Отсканируйте товар или ячейку.',
    'lookup.product': 'Товар',
    'lookup.bin': 'Ячейка',
    'lookup.sku': 'Артикул',
    'lookup.barcodes': 'Штрихкоды',
    'lookup.price': 'Цена',
    'lookup.unit': 'Ед. изм.',
    'lookup.marked': 'Маркированный товар (Честный ЗНАК)',
    'lookup.zone': 'Зона',
    'lookup.pickSeq': 'Порядок обхода',
    'lookup.code': 'Код',
    'lookup.barcode': 'Штрихкод',
    'lookup.notFound': 'Не найдено: {code}',
    'lookup.scanned': 'Отсканировано',
    'lookup.pack': 'упаковка по {n}',
    'routes.title': 'Мои маршруты',
    'routes.none': 'Маршрутов пока нет. Они придут со следующей синхронизацией.',
    'routes.route': 'Рейс {id} · {day}',
    'routes.vehicle': 'Машина {v}',
    'routes.stops': 'Точек: {n}',
    'routes.status.planned': 'запланирован',
    'routes.status.loading': 'погрузка',
    'routes.status.in_progress': 'в пути',
    'routes.status.completed': 'завершён',
    'stop.title': 'Точка {n}',
    'stop.call': 'Позвонить',
    'stop.navigate': 'Проложить путь',
    'stop.due': 'К оплате',
    'stop.prepaid': 'Оплачено',
    'stop.window': 'Окно доставки',
    'stop.order': 'Заказ',
    'stop.notes': 'Примечание',
    'stop.later': 'Скан у двери, подпись и оплата появятся со следующей версией сервера.',
    'stop.back': 'К маршруту',
    'stop.missing': 'Этой точки больше нет в вашем маршруте.',
    'sync.title': 'Синхронизация',
    'sync.pending': 'Ожидают отправки',
    'sync.lastSync': 'Последняя синхронизация',
    'sync.never': 'ещё не было',
    'sync.now': 'Синхронизировать',
    'sync.running': 'Синхронизация…',
    'sync.lastError': 'Последняя ошибка',
    'sync.rejected': 'Отклонено сервером',
    'sync.rejectedNone': 'Отклонённых операций нет.',
    'sync.outbox': 'Неотправленные операции',
    'sync.outboxEmpty': 'Всё отправлено.',
    'sync.device': 'Устройство',
    'sync.version': 'Версия приложения',
    'sync.storage': 'Хранилище',
    'sync.offline': 'Нет сети: операции сохранены на устройстве и уйдут, когда появится связь.',
    'sync.revoked': 'Устройство отключено. Попросите руководителя подключить его снова.',
    'sync.more': '… и ещё {n}',
    'storage.persistent': 'постоянное',
    'storage.bestEffort': 'браузер может очистить',
    'update.ready': 'Доступна новая версия.',
    'update.reload': 'Обновить',
    'install.ios': 'Установка: нажмите «Поделиться», затем «На экран „Домой“». Установленное приложение сохраняет данные.',
    'install.button': 'Установить приложение',
    'install.dismiss': 'Позже',
  },
};

export const LANGUAGES = Object.keys(STRINGS);
const STORAGE_KEY = 'tally.lang';

function initialLang() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && STRINGS[saved]) return saved;
  return (navigator.language || 'ru').toLowerCase().startsWith('en') ? 'en' : 'ru';
}

let lang = initialLang();
document.documentElement.lang = lang;

/** The current language code ('ru' or 'en'). */
export const getLang = () => lang;

/** Switch the language; screens re-render on the window's 'langchange' event. */
export function setLang(next) {
  if (!STRINGS[next] || next === lang) return;
  lang = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  window.dispatchEvent(new Event('langchange'));
}

/** The other language (for the one-tap switch). */
export const otherLang = () => LANGUAGES.find((l) => l !== lang);

/** A string with `{name}` placeholders filled in; falls back to English, then to the key. */
export function t(key, params = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** Money from integer minor units, without ever making a float (DESIGN principle 8). */
export function formatMoney(minor, currency = 'RUB') {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  const negative = minor < 0;
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const decimal = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  return new Intl.NumberFormat(lang, { style: 'currency', currency }).format(`${negative ? '-' : ''}${decimal}`);
}

/** A date-time in the device's zone, short. */
export function formatTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso));
}

/** "3 minutes ago" style, for the last sync. */
export function formatAgo(iso, now = Date.now()) {
  if (!iso) return '';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const steps = [[60, 'second'], [3600, 'minute'], [86400, 'hour'], [Infinity, 'day']];
  const divisors = { second: 1, minute: 60, hour: 3600, day: 86400 };
  for (const [limit, unit] of steps) {
    if (Math.abs(seconds) < limit) return rtf.format(Math.round(seconds / divisors[unit]), unit);
  }
  return '';
}
